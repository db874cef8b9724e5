"""`harvester domains` sorted and filtered, and `harvester report --day` (HTML and CSV)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from harvester.cli import app
from harvester.settings import get_settings
from harvester.store import Database, upgrade
from harvester.store.clock import utcnow
from harvester.store.comments import upsert_comments
from harvester.store.mentions import MentionRow, record_mentions
from harvester.store.videos import upsert_videos
from tests.one_day import one_day

pytestmark = pytest.mark.timedep

runner = CliRunner()
HOSTILE = '=HYPERLINK("http://x") <script>alert(1)</script> buy at spike-now.shop'


def _m(cid: str, vid: str, domain: str) -> MentionRow:
    return MentionRow(cid, vid, domain, domain, domain, domain, None, 0, 3, False, False, 0.9)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("HARVESTER_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    # Stored "today" and read back as today: one day, whenever the suite runs.
    with one_day():
        yield from _stored(tmp_path)
    get_settings.cache_clear()


def _stored(tmp_path: Path) -> Iterator[Path]:
    db = Database(get_settings().effective_database_url)
    upgrade(db)
    now = utcnow()
    with db.session() as s:
        upsert_videos(
            s, [{"video_id": f"v{i}", "advertiser_name": f"Adv {i}"} for i in range(3)], now
        )
        texts = [{"comment_id": f"c{j}", "text": HOSTILE} for j in range(9)]
        upsert_comments(s, "v0", texts, now)
        record_mentions(s, [_m("c0", "v0", "quiet-old.com")], now - timedelta(days=3))
        record_mentions(s, [_m(f"c{j}", f"v{j % 3}", "spike-now.shop") for j in range(1, 7)], now)
    db.dispose()
    yield tmp_path


def test_domains_sorted_and_filtered(env: Path) -> None:
    rows = json.loads(
        runner.invoke(app, ["domains", "--sort", "advertisers", "--format", "json"]).stdout
    )
    assert [r["name"] for r in rows] == ["spike-now.shop", "quiet-old.com"]
    assert rows[0]["advertiser_count"] == 3 and "spiking" in rows[0]["signals"]
    spiking = json.loads(runner.invoke(app, ["domains", "--spiking", "--format", "json"]).stdout)
    assert [r["name"] for r in spiking] == ["spike-now.shop"]
    table = runner.invoke(app, ["domains", "--sort", "growth_day"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and "spike-now.shop" in table.stdout and "+6" in table.stdout
    bad = runner.invoke(app, ["domains", "--sort", "popularity"])
    assert bad.exit_code == 2
    assert runner.invoke(app, ["domains", "--since", "yesterday"]).exit_code == 2


def test_report_as_csv_and_html(env: Path) -> None:
    day = utcnow().date().isoformat()
    res = runner.invoke(app, ["report", "--day", day, "--format", "csv"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    spiking = [r for r in rows if r["section"] == "spiking"]
    assert [r["domain"] for r in spiking] == ["spike-now.shop"]
    assert spiking[0]["mentions_on_day"] == "6" and spiking[0]["advertisers"] == "3"
    assert spiking[0]["example_comment"].startswith("'=HYPERLINK")  # not a formula
    new = [r["domain"] for r in rows if r["section"] == "new"]
    assert new == ["spike-now.shop"]  # quiet-old.com was first seen three days ago
    out = env / "report.html"
    res = runner.invoke(app, ["report", "--day", day, "--out", str(out)])
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert "spike-now.shop" in html and "Adv 1" in html and "v2" in html
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_report_of_an_empty_day_says_so(env: Path) -> None:
    res = runner.invoke(app, ["report", "--day", "2020-01-01", "--format", "csv"])
    assert res.exit_code == 0 and res.stdout.count("\n") == 1  # the header only
    assert "nothing new or spiking on 2020-01-01" in res.output
    assert runner.invoke(app, ["report", "--day", "01/12/2026"]).exit_code == 2
    assert runner.invoke(app, ["report", "--format", "pdf"]).exit_code == 2


def test_web_world_prints_the_settings_that_point_lookups_at_it() -> None:
    res = runner.invoke(app, ["web-world", "--seconds", "0.1"])
    assert res.exit_code == 0, res.output
    exports = dict(line.removeprefix("export ").split("=", 1) for line in res.stdout.splitlines())
    assert exports["HARVESTER_DOMAIN_LOOKUPS"] == "true"
    assert exports["HARVESTER_LOOKUP_ALLOW_NETWORKS"] == "127.0.0.0/8"
    assert exports["HARVESTER_DNS_SERVER"].startswith("127.0.0.1:")
    assert exports["HARVESTER_LOOKUP_PORTS"].startswith("http=")
