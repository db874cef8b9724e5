"""Shared fixtures: databases (SQLite always; Postgres and Redis when reachable).

Postgres/Redis come from TEST_DATABASE_URL / TEST_REDIS_URL, else the local defaults
are probed. Unreachable → skip with the reason, except under CI=true where the run
fails so those paths are really tested.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"
IN_CI = os.environ.get("CI", "").lower() == "true"


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 0), 1.0):
            return True
    except OSError:
        return False


def _service_url(env_name: str, default: str, what: str) -> str:
    url = os.environ.get(env_name) or default
    if not _reachable(url):
        reason = f"{what} not reachable at {url} (set {env_name})"
        if IN_CI:
            pytest.fail(f"CI=true requires {what}: {reason}")
        pytest.skip(reason)
    return url


@pytest.fixture(scope="session")
def postgres_base_url() -> str:
    from harvester.settings import normalize_database_url

    return normalize_database_url(_service_url("TEST_DATABASE_URL", DEFAULT_PG, "Postgres"))


@pytest.fixture
def postgres_url(postgres_base_url: str) -> Iterator[str]:
    """A fresh, empty Postgres schema for one test, dropped afterwards."""
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_base_url)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in postgres_base_url else "?"
    yield f"{postgres_base_url}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url() -> str:
    return _service_url("TEST_REDIS_URL", DEFAULT_REDIS, "Redis")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'harvester.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Both databases: SQLite always, Postgres where reachable."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_url"))


# Tests whose outcome depends on the clock (the date, the hour, the zone, a day's end).
# They carry the ``timedep`` mark, and CI runs them a second and a third time under far
# apart TZ values and with HARVESTER_TEST_START just before midnight of 28 February 2028
# and of 31 December (tools/run_tests.py; tests/one_day.py reads the start).
TIME_DEPENDENT = (
    "tests/unit/foundation/test_one_clock.py",
    "tests/unit/jobs/test_planner.py",
    "tests/integration/guard/",
    "tests/integration/store/test_domain_list.py",
    "tests/integration/store/test_store_faces.py",
    "tests/integration/tiktok/test_research_client.py",
    "tests/integration/tiktok/test_simulator.py",
    "tests/integration/jobs/test_budget.py",
    "tests/integration/cli/test_cli_reads.py",
    "tests/integration/cli/test_domains_report_cmd.py",
    "tests/integration/web/test_api.py",
    "tests/integration/web/test_domain_intel_api.py",
    "tests/integration/web/test_quota_views.py",
    "tests/integration/web/test_one_run_state.py",
    "tests/integration/web/test_overview_answers.py",
    "tests/integration/web/test_error_pages.py",
    "tests/integration/engine/test_engine_clock.py",
    "tests/unit/feeds/",
    "tests/integration/feeds/test_feed_reads.py",
    "tests/integration/feeds/test_feed_http.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = Path(str(config.rootpath))
    last: list[pytest.Item] = []
    for item in items:
        rel = Path(str(item.path)).relative_to(root).as_posix()
        if rel.startswith(TIME_DEPENDENT):
            item.add_marker(pytest.mark.timedep)
        if rel.startswith("tests/e2e/"):
            last.append(item)
    # The browser pages run last: their server (a session fixture) keeps the process on
    # the suite's day (``one_day``) until the session ends, and every test collected
    # after them ran on that clock too (on 8 December, a week past the suite's day, a
    # quota check and a simulator window read another day and failed).
    if last:
        keep = set(map(id, last))
        items[:] = [i for i in items if id(i) not in keep] + last
