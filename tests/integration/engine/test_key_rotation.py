"""Signing-key rotation as Inngest does it: the server moves to the new key first and
apps carry it as INNGEST_SIGNING_KEY_FALLBACK until they switch. Nothing fails meanwhile;
a key that is neither is refused."""

from __future__ import annotations

from typing import Any

import inngest
import pytest

from harvester.engine import RunStatus

from .harness import run_of, running

OLD = "signkey-prod-" + "ab" * 32
NEW = "signkey-prod-" + "cd" * 32
OTHER = "signkey-prod-" + "ef" * 32


def _fns(ran: list[str]) -> Any:
    def fns(client: inngest.Inngest) -> list[Any]:
        @client.create_function(
            fn_id="rotated", retries=0, trigger=inngest.TriggerEvent(event="t/rotated")
        )
        async def rotated(ctx: inngest.Context) -> str:
            ran.append(ctx.run_id)
            return "ok"

        return [rotated]

    return fns


@pytest.mark.parametrize(
    ("engine_key", "app_key", "app_fallback"),
    [
        (NEW, OLD, NEW),  # the server rotated first; the app knows the new key as fallback
        (OLD, NEW, OLD),  # the app switched first and keeps the old key as fallback
    ],
    ids=["server-first", "app-first"],
)
async def test_runs_complete_while_a_signing_key_rotates(
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    engine_key: str,
    app_key: str,
    app_fallback: str,
) -> None:
    monkeypatch.setenv("INNGEST_SIGNING_KEY_FALLBACK", app_fallback)  # read by the SDK
    ran: list[str] = []
    async with running(
        _fns(ran), sqlite_url, dev=False, signing_key=engine_key, event_key="ek",
        sdk_signing_key=app_key,
    ) as engine:  # fmt: skip
        assert "test-rotated" in {f.id for f in engine.list_functions()}  # the sync was accepted
        (eid,) = await engine.send([{"name": "t/rotated", "data": {}}])
        run = await run_of(engine, eid)
    assert run.status == RunStatus.COMPLETED and run.output == "ok", run.error
    assert len(ran) == 1


async def test_a_key_that_is_neither_current_nor_fallback_is_refused(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INNGEST_SIGNING_KEY_FALLBACK", NEW)
    ran: list[str] = []
    async with running(
        _fns(ran), sqlite_url, dev=False, signing_key=NEW, event_key="ek", sdk_signing_key=OLD
    ) as engine:
        engine.cfg.signing_key = OTHER  # e.g. a leaked key revoked on the server
        (eid,) = await engine.send([{"name": "t/rotated", "data": {}}])
        run = await run_of(engine, eid)
    assert run.status == RunStatus.FAILED and ran == []  # the app never ran the function
