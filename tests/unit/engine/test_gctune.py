"""An engine process's garbage collector: what was alive at the first start is frozen
once (later starts freeze nothing more), young objects are collected less often, and a
threshold the host chose (higher, or the collector off) is kept."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from harvester.engine import gctune


@pytest.fixture
def fresh_gc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A process where no engine has tuned the collector yet; restored after."""
    before = gc.get_threshold()
    gc.unfreeze()
    monkeypatch.setattr(gctune, "_frozen", False)
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


@pytest.mark.usefixtures("fresh_gc")
def test_the_first_start_freezes_what_is_alive_and_later_ones_add_nothing() -> None:
    gctune.tune()
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # the imports at least: a full collection skips them now
    assert gc.get_threshold() == (gctune.YOUNG_THRESHOLD, 10, 10)
    kept = [[i] for i in range(5_000)]  # objects of a later engine, say
    gctune.tune()
    assert gc.get_freeze_count() == frozen  # collectable as before
    assert len(kept) == 5_000


@pytest.mark.usefixtures("fresh_gc")
@pytest.mark.parametrize("host", [(0, 10, 10), (50_000, 20, 30)])
def test_a_threshold_the_host_chose_is_kept(host: tuple[int, int, int]) -> None:
    gc.set_threshold(*host)
    gctune.tune()
    assert gc.get_threshold() == host
