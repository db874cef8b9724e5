"""The composition root: settings → database → guard → source → functions → engine.

One ``Runtime`` object, built only by ``build_runtime``, is what the web app, every CLI
command that acts (``up``, ``once``, ``dlq replay``, ``kill-switch``) and the tests hold.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import inngest

from harvester.clock import PROCESS_CLOCK, Clock
from harvester.engine import Engine, EngineConfig
from harvester.guard import Guard
from harvester.guard.quota import make_ledger
from harvester.jobs.alerts import AlertSink
from harvester.jobs.client import make_client
from harvester.jobs.deps import JobDeps
from harvester.jobs.events import DISCOVERY_REQUESTED
from harvester.jobs.registry import build_functions
from harvester.jobs.senders import sender_for
from harvester.settings import Settings
from harvester.store import Database, upgrade
from harvester.store.overview import totals
from harvester.tiktok import Source, make_source
from harvester.tiktok.capabilities import effective, quota_client_key

HTTP_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def make_http_client(**kwargs: Any) -> httpx.AsyncClient:
    """The one HTTP client factory: explicit timeouts everywhere."""
    return httpx.AsyncClient(timeout=HTTP_TIMEOUT, **kwargs)


@dataclass
class Runtime:
    settings: Settings
    db: Database
    guard: Guard
    source: Source
    client: inngest.Inngest
    functions: list[inngest.Function[Any]]
    engine: Engine | None
    http: httpx.AsyncClient
    deps: JobDeps
    extra_closers: list[Callable[[], Any]] = field(default_factory=list)

    async def send_events(self, events: list[dict[str, Any]]) -> list[str]:
        """Send events to the embedded engine, or to the configured Inngest server."""
        return await sender_for(self.engine, self.client).send(events)

    async def aclose(self) -> None:
        """Release everything it opened (the web app's lifespan stops a started engine)."""
        for closer in self.extra_closers:
            res = closer()
            if asyncio.iscoroutine(res):
                await res
        await self.source.aclose()
        await self.http.aclose()
        if self.engine is not None:
            self.engine.close()
        self.db.dispose()


def build_runtime(
    settings: Settings,
    *,
    source: Source | None = None,
    source_transport: httpx.AsyncBaseTransport | None = None,
    clock: Clock | None = None,
    engine_config: dict[str, Any] | None = None,
    db: Database | None = None,
) -> Runtime:
    """Wire every part from the settings. ``source``, ``source_transport`` (e.g. the
    simulator in-process through ``httpx.ASGITransport``) and ``clock`` may be injected
    (the one clock of the engine, the guard, the quota ledger and the jobs; default: the
    process's installed clock);
    so may ``db``, a database the caller opened and migrated (the CLI's operator commands
    open it without creating it). The runtime owns it from then on."""
    clock = clock or PROCESS_CLOCK
    if db is None:
        db = Database(settings.effective_database_url)
        upgrade(db)
    quota = make_ledger(
        db,
        settings.redis_url,
        quota_client_key(settings),
        effective(settings, "quota_requests_per_day"),
        effective(settings, "quota_records_per_day"),
        clock=clock.time,
    )
    guard = Guard(
        db=db,
        redis_url=settings.redis_url,
        rate_per_minute=effective(settings, "api_rate_per_minute"),
        clock=clock.time,
        quota=quota,
    )
    src = (
        source
        if source is not None
        else make_source(settings, guard, transport=source_transport, quota=guard.quota)
    )
    http = make_http_client()
    deps = JobDeps(
        settings=settings,
        db=db,
        source=src,
        guard=guard,
        alerts=AlertSink(db, settings.alert_webhook_url, http),
        clock=clock.now,
    )
    client = make_client(settings)
    engine = None
    if settings.embedded_engine:
        engine = Engine(
            engine_settings(settings, dev=True, **{"clock": clock.time, **(engine_config or {})})
        )
    return Runtime(
        settings=settings,
        db=db,
        guard=guard,
        source=src,
        client=client,
        functions=build_functions(client, deps),
        engine=engine,
        http=http,
        deps=deps,
    )


def engine_settings(settings: Settings, *, dev: bool | None = None, **extra: Any) -> EngineConfig:
    """The engine's configuration from the settings: the embedded one (``dev=True``), or
    ``harvester engine`` alone (dev mode when INNGEST_DEV is set or no signing key is).
    ``extra``: more fields, e.g. ``fire_crons``."""
    signing_key = _secret(settings.inngest_signing_key)
    return EngineConfig(
        database_url=settings.effective_engine_database_url,
        host=settings.host,
        port=settings.port,
        dev=(bool(settings.inngest_dev) or not signing_key) if dev is None else dev,
        signing_key=signing_key,
        event_key=_secret(settings.inngest_event_key),
        allowed_origins=settings.origin_list,
        open_registration=settings.engine_open_registration,
        app_hosts=settings.app_host_list,
        **extra,
    )


def _secret(value: Any) -> str | None:
    return value.get_secret_value() if value is not None else None


@dataclass(frozen=True)
class Summary:
    videos: int
    comments: int
    domains: int
    new_today: int
    failures: int
    run_status: str


def summarize(db: Database, run_status: str = "") -> Summary:
    """Counts a person wants after a cycle: what is stored, what is new, what failed."""
    with db.session() as s:
        t = totals(s)
    return Summary(
        videos=t.videos,
        comments=t.comments,
        domains=t.domains,
        new_today=t.new_domains_today,
        failures=t.dead_letters,
        run_status=run_status,
    )


async def run_once(
    runtime: Runtime, data: dict[str, Any] | None = None, timeout: float = 600.0
) -> Summary:
    """One discovery cycle to completion: discovery, every harvest, every extraction."""
    if runtime.engine is None:
        raise RuntimeError("`once` needs the embedded engine: unset INNGEST_BASE_URL")
    ids = await runtime.send_events([{"name": DISCOVERY_REQUESTED, "data": data or {}}])
    await runtime.engine.wait_for_idle(timeout=timeout)
    return summarize(runtime.db, run_status=f"event {ids[0] if ids else '?'} processed")
