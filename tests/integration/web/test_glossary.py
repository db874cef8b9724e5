"""Words with a sense of their own carry their explanation; a domain page says when the
look-ups are off and how to turn them on."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from harvester.runtime import build_runtime
from harvester.settings import Settings
from harvester.store.domains import ensure_domains
from harvester.web.app import create_app
from harvester.web.dashboard.glossary import GLOSSARY

HTML = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


async def _client(tmp_path: Path, lookups: bool) -> AsyncIterator[httpx.AsyncClient]:
    runtime = build_runtime(Settings(data_dir=tmp_path, domain_lookups=lookups))
    with runtime.db.session() as s:
        ensure_domains(s, {"glow.shop": "glow.shop"}, NOW, frozenset())
    transport = httpx.ASGITransport(app=create_app(runtime, start_engine=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        yield c
    await runtime.aclose()


@pytest.fixture
async def off(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(tmp_path, lookups=False):
        yield c


@pytest.fixture
async def on(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    async for c in _client(tmp_path, lookups=True):
        yield c


def _title(key: str) -> str:
    return f'title="{html.escape(GLOSSARY[key])}" data-term="{key}"'


async def test_the_domains_list_explains_mentions_young_and_pushed(
    off: httpx.AsyncClient,
) -> None:
    body = (await off.get("/domains", headers=HTML)).text
    for key in ("mentions", "young", "pushed"):
        assert _title(key) in body, key
    overview = (await off.get("/", headers=HTML)).text
    assert _title("mentions") in overview
    assert "distinct comments" in GLOSSARY["mentions"]


async def test_a_domain_page_says_enrichment_is_off_and_how_to_turn_it_on(
    off: httpx.AsyncClient,
) -> None:
    body = (await off.get("/domains/glow.shop", headers=HTML)).text
    assert 'id="enrichment-off"' in body and "HARVESTER_DOMAIN_LOOKUPS=true" in body
    assert body.count("not looked up yet (look-ups are off)") == 3
    assert _title("mentions") in body


async def test_no_note_when_the_look_ups_are_on(on: httpx.AsyncClient) -> None:
    body = (await on.get("/domains/glow.shop", headers=HTML)).text
    assert 'id="enrichment-off"' not in body and "look-ups are off" not in body
    assert "not looked up yet" in body
