"""One small discovery cycle on the simulator, run through the CLI as a user would, for
test modules that read what a cycle stored (no server answers on its port)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester.cli import app
from harvester.settings import get_settings
from tests.free_port import free_port
from tests.one_day import one_day


@contextmanager
def small_cycle(path: Path) -> Iterator[Path]:
    """``harvester once`` for 2 ads of FR into ``path``; the settings point there
    meanwhile, and the clock stays on one day (``tests.one_day``) for the reads after it."""
    with one_day(), pytest.MonkeyPatch.context() as mp:
        mp.setenv("HARVESTER_DATA_DIR", str(path))
        mp.setenv("HARVESTER_REGIONS", "FR")
        mp.setenv("HARVESTER_PORT", str(free_port()))
        get_settings.cache_clear()
        data = '{"regions": ["FR"], "limit": 2}'
        res = CliRunner().invoke(app, ["once", "--json", "--data", data])
        assert res.exit_code == 0, res.output
        yield path
    get_settings.cache_clear()
