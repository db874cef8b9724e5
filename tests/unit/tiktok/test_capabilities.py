"""A source says what it can do; jobs, the quota planner, doctor, the CLI and the
settings' defaults ask that, never the kind of source (issue 33)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harvester.cli.doctor_cmd import check_quota, check_source
from harvester.settings import Settings, SourceKind
from harvester.tiktok.capabilities import (
    CAPABILITIES,
    capabilities,
    effective,
    missing_settings,
    quota_client_key,
)
from harvester.tiktok.factory import make_source

SRC = Path(__file__).resolve().parents[3] / "src" / "harvester"


def _settings(**kw: object) -> Settings:
    return Settings.model_validate(kw)


def test_every_kind_of_source_declares_its_capabilities() -> None:
    assert set(CAPABILITIES) == set(SourceKind)


async def test_the_simulator_is_simulated_and_plans_within_a_quota() -> None:
    source = make_source(_settings(source="simulator"), None)
    try:
        assert source.capabilities.simulated and source.capabilities.spends_quota
        assert not source.capabilities.asynchronous
    finally:
        await source.aclose()


async def test_the_research_api_is_real_and_plans_within_a_quota() -> None:
    source = make_source(
        _settings(source="research", tiktok_client_key="k", tiktok_client_secret="s"), None
    )
    try:
        assert not source.capabilities.simulated and source.capabilities.spends_quota
    finally:
        await source.aclose()


@pytest.mark.parametrize(("callback", "later"), [("http://127.0.0.1:9/r", True), ("sync", False)])
async def test_a_webhook_worker_answers_later_only_with_a_reply_to(
    callback: str, later: bool
) -> None:
    settings = _settings(
        source="webhook",
        worker_webhook_url="http://127.0.0.1:9/jobs",
        worker_webhook_secret="x" * 32,
        worker_callback_url=callback,
    )
    source = make_source(settings, None)
    try:
        assert source.capabilities.asynchronous is later
        assert not source.capabilities.spends_quota
    finally:
        await source.aclose()


def test_a_missing_setting_is_named_by_the_factory_and_by_doctor() -> None:
    settings = _settings(source="webhook", worker_webhook_url="http://127.0.0.1:9/jobs")
    assert missing_settings(settings) == ["WORKER_WEBHOOK_SECRET"]
    with pytest.raises(ValueError, match="needs WORKER_WEBHOOK_SECRET"):
        make_source(settings, None)
    check = check_source(settings)
    assert not check.ok and check.hint == "set WORKER_WEBHOOK_SECRET"
    research = check_source(_settings(source="research"))
    assert research.hint == "set TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET"


def test_doctor_says_a_worker_spends_no_quota() -> None:
    assert "no TikTok quota" in check_quota(_settings(source="webhook")).detail
    assert capabilities(SourceKind.WEBHOOK).callbacks


def test_every_setting_a_capability_names_is_a_setting() -> None:
    for c in CAPABILITIES.values():
        named = [*c.needs, *(f for f, _ in c.defaults), c.quota_client_setting or "source"]
        assert set(named) <= set(Settings.model_fields), c.kind


def test_the_simulator_gives_itself_a_livelier_rate_and_quota_unless_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = _settings(source="simulator")
    assert (
        effective(sim, "api_rate_per_minute"),
        effective(sim, "quota_requests_per_day"),
        effective(sim, "quota_records_per_day"),
    ) == (1_000, 100_000, 10_000_000)
    # A variable the user sets wins, even one that repeats the general default.
    monkeypatch.setenv("HARVESTER_SOURCE", "simulator")
    monkeypatch.setenv("HARVESTER_API_RATE_PER_MINUTE", "100")
    monkeypatch.setenv("HARVESTER_QUOTA_REQUESTS_PER_DAY", "8")
    monkeypatch.setenv("HARVESTER_QUOTA_RECORDS_PER_DAY", "9")
    mine = Settings()
    assert (
        effective(mine, "api_rate_per_minute"),
        effective(mine, "quota_requests_per_day"),
        effective(mine, "quota_records_per_day"),
    ) == (100, 8, 9)


def test_a_real_source_keeps_the_settings_defaults() -> None:
    real = _settings(source="research", tiktok_client_key="k", tiktok_client_secret="s")
    fields = Settings.model_fields
    assert effective(real, "api_rate_per_minute") == fields["api_rate_per_minute"].default == 100
    assert effective(real, "quota_requests_per_day") == fields["quota_requests_per_day"].default
    assert effective(real, "quota_records_per_day") == fields["quota_records_per_day"].default


def test_the_ledger_counts_the_research_client_key_else_the_kind() -> None:
    assert quota_client_key(_settings(source="research", tiktok_client_key="k")) == "k"
    assert quota_client_key(_settings(source="research")) == "research"
    assert quota_client_key(_settings(source="simulator", tiktok_client_key="k")) == "simulator"
    assert quota_client_key(_settings(source="webhook")) == "webhook"


# Only the table of capabilities and the factory know the kinds of source.
ALLOWED = {"tiktok/factory.py", "tiktok/capabilities.py"}
BRANCH = re.compile(
    r"(?:\bis|==|!=|\bin|\bcase)\s+[(\[{]?\s*SourceKind\.|getattr\(\s*[\w.]*source\b"
)


def _kind_branches(root: Path) -> list[str]:
    return [
        f"{p.relative_to(root)}:{n}"
        for p in root.rglob("*.py")
        if str(p.relative_to(root)) not in ALLOWED
        for n, line in enumerate(p.read_text("utf-8").splitlines(), 1)
        if BRANCH.search(line)
    ]


def test_nothing_outside_the_factory_branches_on_the_kind_or_probes_a_source() -> None:
    assert _kind_branches(SRC) == []


@pytest.mark.parametrize(
    "line",
    [
        "if self.source is SourceKind.SIMULATOR and name not in self.model_fields_set:",
        "if settings.source == SourceKind.RESEARCH:",
        "if kind in (SourceKind.RESEARCH, SourceKind.WEBHOOK):",
        "    case SourceKind.WEBHOOK:",
        "asynchronous = getattr(deps.source, 'asynchronous', False)",
    ],
)
def test_the_scan_sees_a_branch_on_the_kind_in_settings_too(tmp_path: Path, line: str) -> None:
    (tmp_path / "tiktok").mkdir()
    (tmp_path / "tiktok" / "factory.py").write_text(f"{line}\n")  # allowed there
    (tmp_path / "settings.py").write_text(f"x = 1\n{line}\n")
    assert _kind_branches(tmp_path) == ["settings.py:2"]
