"""Where the CLI reads state: the running server when one answers, else the database
files, named on stderr; a read never creates a database. Run ids: full in `runs`, any
unique prefix in `run`. Bad filters: exit 2 with the valid values."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from typer.testing import CliRunner

from harvester.cli import app
from harvester.runtime import build_runtime
from harvester.settings import Settings, get_settings
from harvester.sim.tiktok import create_app as create_sim_app
from harvester.web.app import create_app
from tests.cycle_data import small_cycle
from tests.free_port import free_port

runner = CliRunner()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One small discovery cycle on the simulator (no server answers on its port)."""
    with small_cycle(tmp_path_factory.mktemp("reads")) as path:
        yield path


@pytest.fixture
def offline(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("HARVESTER_DATA_DIR", str(data_dir))
    monkeypatch.setenv("HARVESTER_PORT", str(free_port()))
    get_settings.cache_clear()
    yield data_dir
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def server(data_dir: Path) -> Iterator[str]:
    """A harvester server over ``data_dir`` on a free loopback port."""
    port = free_port()
    settings = Settings(data_dir=data_dir, port=port, regions="FR")
    runtime = build_runtime(
        settings,
        engine_config={"fire_crons": False},
        source_transport=httpx.ASGITransport(app=create_sim_app(seed=3)),
    )
    cfg = uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port, log_config=None)
    srv = uvicorn.Server(cfg)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(srv.serve(),), daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started
    yield str(port)
    srv.should_exit = True
    thread.join(timeout=15)


@pytest.fixture
def elsewhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Another working directory, holding no data."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HARVESTER_DATA_DIR", raising=False)
    monkeypatch.setenv("HARVESTER_PORT", str(free_port()))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _runs(*args: str) -> list[dict[str, object]]:
    res = runner.invoke(app, ["runs", "--format", "json", *args])
    assert res.exit_code == 0, res.output
    return list(json.loads(res.stdout))


@pytest.mark.parametrize("command", [["runs"], ["run", "0193"], ["domains"], ["dlq"]])
def test_a_read_in_an_empty_folder_says_what_to_do_and_creates_nothing(
    elsewhere: Path, command: list[str]
) -> None:
    res = runner.invoke(app, command)
    assert res.exit_code == 1
    assert str(elsewhere / "data") in res.stderr and "harvester up" in res.stderr
    assert list(elsewhere.iterdir()) == []  # no data/ and no empty *.db


def test_offline_reads_name_the_database(offline: Path) -> None:
    res = runner.invoke(app, ["runs"])
    assert res.exit_code == 0
    assert f"engine database {offline / 'engine.db'}" in res.stderr.replace("\n", "")
    doms = runner.invoke(app, ["domains", "--format", "json"])
    assert f"harvester database {offline / 'harvester.db'}" in doms.stderr.replace("\n", "")


def test_runs_shows_whole_ids_at_80_columns(offline: Path) -> None:
    ids = [str(r["run_id"]) for r in _runs("--limit", "5")]
    table = runner.invoke(app, ["runs", "--limit", "5"], env={"COLUMNS": "80"})
    assert table.exit_code == 0
    assert all(len(line) <= 80 for line in table.stdout.splitlines())
    assert all(run_id in table.stdout for run_id in ids)


def test_run_accepts_a_unique_prefix_and_lists_an_ambiguous_one(offline: Path) -> None:
    ids = [str(r["run_id"]) for r in _runs("--limit", "100")]
    target = ids[0]
    unique = next(
        target[:n] for n in range(1, len(target)) if sum(i.startswith(target[:n]) for i in ids) == 1
    )
    one = runner.invoke(app, ["run", unique, "--json"])
    assert one.exit_code == 0, one.output
    assert json.loads(one.stdout)["run_id"] == target
    copied = runner.invoke(app, ["run", unique + "…", "--json"])  # as the runs page cuts it
    assert copied.exit_code == 0 and json.loads(copied.stdout)["run_id"] == target
    shared = target[:4]  # uuid7 ids of one cycle share their time prefix
    many = runner.invoke(app, ["run", shared])
    assert many.exit_code == 2
    assert "ambiguous" in many.stderr and ids[0] in many.stderr and ids[1] in many.stderr
    none = runner.invoke(app, ["run", "zz-not-a-run"])
    assert none.exit_code == 1 and "harvester runs" in none.stderr


def test_bad_filters_exit_2_with_the_valid_values(offline: Path) -> None:
    bogus = runner.invoke(app, ["runs", "--status", "bogus"])
    assert bogus.exit_code == 2 and "COMPLETED" in bogus.stderr and "QUEUED" in bogus.stderr
    nope = runner.invoke(app, ["runs", "--fn", "nope"])
    assert nope.exit_code == 2 and "tiktok-harvester-harvest-comments" in nope.stderr
    tail = _runs("--fn", "harvest-comments", "--status", "completed")
    assert tail and {r["fn_id"] for r in tail} == {"tiktok-harvester-harvest-comments"}


def test_reads_ask_the_running_server_from_any_folder(
    server: str, elsewhere: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARVESTER_PORT", server)
    get_settings.cache_clear()
    res = runner.invoke(app, ["runs", "--format", "json", "--limit", "50"])
    assert res.exit_code == 0, res.output
    assert f"reading server http://127.0.0.1:{server}" in res.stderr
    ids = [r["run_id"] for r in json.loads(res.stdout)]
    assert ids
    one = runner.invoke(app, ["run", ids[-1][:-4], "--json"])  # a prefix, through the API
    assert one.exit_code == 0 and json.loads(one.stdout)["run_id"] == ids[-1]
    doms = runner.invoke(app, ["domains", "--format", "json", "--limit", "3"])
    assert doms.exit_code == 0 and len(json.loads(doms.stdout)) == 3
    assert runner.invoke(app, ["runs", "--fn", "nope"]).exit_code == 2
    on = runner.invoke(app, ["kill-switch", "on", "--reason", "from a test"])
    assert on.exit_code == 0 and "using server" in on.stderr and "ON" in on.stdout
    assert "off" in runner.invoke(app, ["kill-switch", "off"]).stdout
    assert list(elsewhere.iterdir()) == []


def test_the_api_and_the_dashboard_resolve_a_run_id_prefix(server: str) -> None:
    base = f"http://127.0.0.1:{server}"
    ids = [
        r["run_id"] for r in httpx.get(f"{base}/api/v1/runs", params={"limit": 100}).json()["data"]
    ]
    found = httpx.get(f"{base}/api/v1/run-ids", params={"prefix": ids[0][:4]}).json()
    assert ids[0] in found["data"] and len(found["data"]) > 1
    short = ids[0][:-3]
    page = httpx.get(f"{base}/runs/{short}")
    assert page.status_code == 307 and page.headers["location"] == f"/runs/{ids[0]}"
    assert httpx.get(f"{base}/runs/{ids[0][:4]}").status_code == 404  # ambiguous
    assert httpx.get(f"{base}/api/v1/run-ids", params={"prefix": "a%"}).status_code == 422


def test_send_checks_our_schemas_and_says_where_it_went_and_who_listens(server: str) -> None:
    url = f"http://127.0.0.1:{server}"
    bad = runner.invoke(
        app, ["send", "tiktok/comment.harvest.requested", "--data", '{"video_id": "nope"}']
    )
    assert bad.exit_code == 2 and "window" in bad.stderr and "not sent" in bad.stderr
    unheard = runner.invoke(app, ["send", "nobody/listens.here", "--url", url])
    assert unheard.exit_code == 0, unheard.output
    said = unheard.stderr.replace("\n", " ")
    assert f"sent nobody/listens.here to {url}" in said
    assert "no function is triggered by nobody/listens.here" in said
    assert "tiktok/comment.harvest.requested" in said  # what functions do take
    heard = runner.invoke(app, ["send", "system.health.requested", "--url", url])
    assert heard.exit_code == 0 and "triggers tiktok-harvester-health-check" in heard.stderr
    assert json.loads(heard.stdout)["ids"]


def test_doctor_and_db_status_look_without_creating_a_database(elsewhere: Path) -> None:
    status = runner.invoke(app, ["db", "status"])
    assert status.exit_code == 1 and str(elsewhere / "data" / "harvester.db") in status.output
    doctor = runner.invoke(app, ["doctor"])
    assert "no database yet at" in doctor.output.replace("\n", " ")
    assert list(elsewhere.iterdir()) == []
