"""A bad setting is one line an operator can act on: the variable, its value and what it
may be; every command exits 2 without a traceback (``--debug`` shows it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from harvester.settings import get_settings
from harvester.settings_errors import SettingsError

BAD = {
    "HARVESTER_SOURCE": "bogus",
    "HARVESTER_PORT": "abc",
    "HARVESTER_WORKERS": "0",
    "DATABASE_URL": "garbage://user:s3cret@x/db",
    "HARVESTER_LOG_LEVEL": "LOUD",
    "HARVESTER_REGIONS": "ZZ,??",
}


def _error(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> SettingsError:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError) as caught:
            get_settings()
    finally:
        get_settings.cache_clear()
    return caught.value


def test_each_bad_variable_is_one_line_naming_it_its_value_and_what_is_allowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines = {line.split("=", 1)[0]: line for line in _error(monkeypatch, BAD).lines}
    assert set(lines) == set(BAD)
    assert lines["HARVESTER_SOURCE"] == (
        "HARVESTER_SOURCE='bogus': must be one of simulator, research, webhook"
    )
    assert lines["HARVESTER_PORT"] == "HARVESTER_PORT='abc': must be a whole number from 1 to 65535"
    assert (
        lines["HARVESTER_WORKERS"] == "HARVESTER_WORKERS='0': must be a whole number from 1 to 64"
    )
    assert "DEBUG, INFO, WARNING, ERROR, CRITICAL" in lines["HARVESTER_LOG_LEVEL"]
    assert "ZZ, ??" in lines["HARVESTER_REGIONS"] and "FR" in lines["HARVESTER_REGIONS"]
    url = lines["DATABASE_URL"]
    assert "unknown scheme 'garbage'" in url and "sqlite" in url and "postgresql" in url
    assert "s3cret" not in url  # a URL's password is not printed


def test_good_values_pass_and_are_normalised(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARVESTER_LOG_LEVEL", "warning")
    monkeypatch.setenv("HARVESTER_REGIONS", "fr, de,ALL")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    get_settings.cache_clear()
    try:
        settings = get_settings()
    finally:
        get_settings.cache_clear()
    assert settings.log_level == "WARNING"
    assert settings.region_list == ["FR", "DE", "ALL"]


def test_secrets_are_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    error = _error(monkeypatch, {"HARVESTER_PORT": "0", "HARVESTER_ADMIN_TOKEN": "x"})
    assert error.lines == ["HARVESTER_PORT='0': must be a whole number from 1 to 65535"]


def _cli(*args: str, env: dict[str, str], tmp: Path) -> subprocess.CompletedProcess[str]:
    script = str(Path(sys.executable).parent / "harvester")
    full = {**os.environ, "HARVESTER_DATA_DIR": str(tmp), **env}
    return subprocess.run([script, *args], env=full, capture_output=True, text=True, timeout=60)


def test_a_command_says_it_in_lines_and_exits_2_without_a_traceback(tmp_path: Path) -> None:
    res = _cli("doctor", env={"HARVESTER_WORKERS": "0", "HARVESTER_SOURCE": "bogus"}, tmp=tmp_path)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr and "ValidationError" not in res.stderr
    bad = [x for x in res.stderr.splitlines() if x.startswith("harvester: bad setting")]
    assert len(bad) == 2, res.stderr
    assert any("HARVESTER_WORKERS='0'" in x for x in bad)


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    res = _cli("--debug", "doctor", env={"HARVESTER_PORT": "abc"}, tmp=tmp_path)
    assert res.returncode != 0
    assert "SettingsError" in res.stderr and "HARVESTER_PORT='abc'" in res.stderr


def test_the_region_list_is_the_ad_librarys() -> None:
    from harvester.settings import AD_LIBRARY_COUNTRIES
    from harvester.tiktok.wire import AD_COUNTRIES

    assert sorted(AD_LIBRARY_COUNTRIES) == sorted(AD_COUNTRIES)
