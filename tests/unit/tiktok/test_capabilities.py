"""A source says what it can do; jobs, the quota planner, doctor and the CLI ask that,
never the kind of source (issue 33)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harvester.cli.doctor_cmd import check_quota, check_source
from harvester.settings import Settings, SourceKind
from harvester.tiktok.capabilities import CAPABILITIES, capabilities, missing_settings
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


def test_nothing_outside_the_factory_branches_on_the_kind_or_probes_a_source() -> None:
    allowed = {"settings.py", "tiktok/factory.py", "tiktok/capabilities.py"}
    branch = re.compile(r"(?:is|==|!=)\s+SourceKind\.|getattr\(\s*[\w.]*source\b")
    found = [
        f"{p.relative_to(SRC)}:{n}"
        for p in SRC.rglob("*.py")
        if str(p.relative_to(SRC)) not in allowed
        for n, line in enumerate(p.read_text("utf-8").splitlines(), 1)
        if branch.search(line)
    ]
    assert found == []
