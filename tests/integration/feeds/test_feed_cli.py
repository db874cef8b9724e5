"""Issue 28's check: after one cycle in a fresh data dir (``harvester once``), ``feed
misp`` writes a feed pymisp loads holding every site domain of the day less the
allowlisted ones, with a complete hashes.csv; ``feed stix`` writes a bundle
stix2-validator passes, a sighting per indicator; txt and csv hold the same domains."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from pymisp import MISPEvent
from stix2validator import ValidationOptions, validate_file
from typer.testing import CliRunner, Result

from harvester.cli import app
from harvester.settings import get_settings
from harvester.store import Database
from harvester.store.models import Domain
from tests.cycle_data import small_cycle

ACCEPTED_WARNINGS = {"103", "302"}  # uuid5 ids (by design), URLs without a hash


@pytest.fixture(scope="module")
def cycle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with small_cycle(tmp_path_factory.mktemp("feed-cycle")) as path:
        yield path


def _site_domains(data_dir: Path) -> dict[str, int]:
    """ASCII name → mentions of every site domain the cycle stored."""
    db = Database(f"sqlite:///{data_dir / 'harvester.db'}")
    try:
        with db.session() as s:
            rows = s.execute(
                sa.select(Domain.ascii_name, Domain.mention_count).where(Domain.kind == "site")
            )
            return dict(rows.tuples().all())
    finally:
        db.dispose()


def _feed(*args: str, env: dict[str, str] | None = None) -> Result:
    with pytest.MonkeyPatch.context() as mp:
        for k, v in (env or {}).items():
            mp.setenv(k, v)
        get_settings.cache_clear()
        res = CliRunner().invoke(app, ["feed", *args])
    get_settings.cache_clear()
    assert res.exit_code == 0, res.output
    return res


def _misp_values(out: Path) -> dict[str, str]:
    """Attribute value → event uuid, every event loaded by pymisp from the manifest."""
    manifest = json.loads((out / "manifest.json").read_text())
    values: dict[str, str] = {}
    for uuid in manifest:
        event = MISPEvent()
        event.load_file(str(out / f"{uuid}.json"))
        assert event.uuid == uuid and event.tags[0].name == "tlp:clear"
        values.update({a.value: uuid for a in event.attributes})
    return values


def test_feed_misp_holds_the_days_site_domains_less_the_allowlist(
    cycle: Path, tmp_path: Path
) -> None:
    site = _site_domains(cycle)
    assert len(site) >= 5, "the cycle stored site domains"
    out = tmp_path / "misp"
    said = _feed("misp", "--out", str(out))
    values = _misp_values(out)
    assert set(values) == set(site), "100 % of the site domains"
    hashes = (out / "hashes.csv").read_text().splitlines()
    assert sorted(hashes) == sorted(
        f"{hashlib.md5(v.encode()).hexdigest()},{u}" for v, u in values.items()
    )
    assert f"misp: {len(site)} domains" in said.stderr
    # Allowlisted (a Tranco-style file): out of the feed, and only they.
    skip = sorted(site)[:2]
    allow = tmp_path / "allow.csv"
    allow.write_text("".join(f"{i},{name}\n" for i, name in enumerate(skip, 1)))
    env = {"HARVESTER_DATA_DIR": str(cycle), "HARVESTER_FEED_ALLOWLIST_FILE": str(allow)}
    again = _feed("misp", "--out", str(out), env=env)
    kept = _misp_values(out)
    assert set(kept) == set(site) - set(skip) and "2 left out" in again.stderr
    assert set(json.loads((out / "manifest.json").read_text())) == set(values.values())


def test_feed_stix_passes_the_validator_with_a_sighting_per_indicator(
    cycle: Path, tmp_path: Path
) -> None:
    site = _site_domains(cycle)
    out = tmp_path / "bundle.json"
    _feed("stix", "--out", str(out), "--tlp", "amber")
    result = validate_file(str(out), ValidationOptions(version="2.1"))
    assert result.is_valid, [str(e) for r in result.object_results for e in r.errors]
    codes = {w.split("{", 1)[1].split("}", 1)[0] for r in result.object_results for w in r.warnings}
    assert codes <= ACCEPTED_WARNINGS, codes
    objects = json.loads(out.read_text())["objects"]
    indicators = {o["id"]: o["name"] for o in objects if o["type"] == "indicator"}
    assert sorted(indicators.values()) == sorted(site)
    counts = {
        indicators[o["sighting_of_ref"]]: o["count"] for o in objects if o["type"] == "sighting"
    }
    assert counts == site  # one sighting an indicator, with its mention count
    assert any(o.get("name") == "TLP:AMBER" for o in objects)


def test_txt_and_csv_hold_the_same_domains(cycle: Path, tmp_path: Path) -> None:
    site = _site_domains(cycle)
    txt = tmp_path / "domains.txt"
    _feed("txt", "--out", str(txt))
    assert txt.read_text().splitlines() == sorted(site)
    rows = list(csv.DictReader(io.StringIO(_feed("csv", "--out", "-").stdout)))
    assert {r["domain"]: int(r["mentions"]) for r in rows} == site


def test_filters_and_bad_input(cycle: Path, tmp_path: Path) -> None:
    site = _site_domains(cycle)
    most = max(site.values())
    txt = tmp_path / "top.txt"
    _feed("txt", "--out", str(txt), "--min-mentions", str(most))
    assert txt.read_text().splitlines() == sorted(n for n, c in site.items() if c >= most)
    runner = CliRunner()
    bad_day = runner.invoke(app, ["feed", "txt", "--out", "-", "--since", "30/11/2026"])
    assert bad_day.exit_code == 2 and "YYYY-MM-DD" in bad_day.output
    bad_signal = runner.invoke(app, ["feed", "txt", "--out", "-", "--signal", "blocklisted"])
    assert bad_signal.exit_code == 2 and "young, spiking, pushed" in bad_signal.output
    to_stdout = runner.invoke(app, ["feed", "misp", "--out", "-"])
    assert to_stdout.exit_code == 2 and "directory" in to_stdout.output
