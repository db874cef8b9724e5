"""The function registry: synced configs (kept in the system database, so every engine
process sharing it routes the same functions) and the apps that serve them."""

from __future__ import annotations

import contextlib
from typing import Any

import httpx
import structlog

from harvester.engine import executor, sync_tickets
from harvester.engine.clock import monotonic
from harvester.engine.config import EngineConfig
from harvester.engine.flow_state import CronSchedule
from harvester.engine.sysdb import SystemDatabase
from harvester.engine.triggers import FunctionSpec, validate

log = structlog.get_logger("harvester.engine")
FUNCTIONS_MAX_AGE_S = 2.0

Target = httpx.AsyncClient | executor.AsgiApp


class Registry:
    """Function specs by id, and how to reach the app that serves each."""

    def __init__(self, db: SystemDatabase, cfg: EngineConfig) -> None:
        self.db = db
        self.cfg = cfg
        self.functions: dict[str, FunctionSpec] = {}
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._apps: dict[str, executor.AsgiApp] = {}  # in-process apps, called directly
        # Functions an in-process app of ours serves. Every engine process sharing a
        # database sees the URL of the last sync, but calls its own copy of the app.
        self._local: dict[str, executor.AsgiApp] = {}
        self._default_client = httpx.AsyncClient(timeout=cfg.request_timeout)
        self._loaded_at = 0.0
        self.load()

    def load(self) -> None:
        """Read the synced configs from the database: another engine process may have
        taken the sync, and every process must route and call the same functions."""
        fresh: dict[str, FunctionSpec] = {}
        for row in self.db.load_functions():
            with contextlib.suppress(ValueError):
                spec = validate(row["config"])
                fresh[spec.id] = spec
        self.functions.clear()
        self.functions.update(fresh)
        self._loaded_at = monotonic()

    def refresh(self, max_age: float = FUNCTIONS_MAX_AGE_S) -> None:
        """Reload when the copy in memory is older than ``max_age`` seconds."""
        if monotonic() - self._loaded_at > max_age:
            self.load()

    def get(self, fn_id: str) -> FunctionSpec | None:
        """The function, reloading once from the database if this process lacks it."""
        fn = self.functions.get(fn_id)
        if fn is None:
            self.refresh(max_age=0)
            fn = self.functions.get(fn_id)
        return fn

    def register(self, url: str, app_id: str, configs: list[dict[str, Any]]) -> int:
        """Replace an app's functions (all validated first: nothing partial); schedule
        their cron triggers."""
        specs = [validate(c) for c in configs]
        now = self.cfg.clock()
        crons = CronSchedule(self.db)
        with self.db.tx() as conn:
            self.db.replace_app(conn, url, app_id, configs, now)
            for spec in specs:
                for expr in spec.crons:
                    crons.seed(conn, spec.id, expr, now)
        for fid in [f for f, s in self.functions.items() if s.url.startswith(url)]:
            del self.functions[fid]
        self.functions.update({s.id: s for s in specs})
        if url in self._apps:
            self._local.update({s.id: self._apps[url] for s in specs})
        log.info("app synced", url=url, functions=len(specs))
        return len(specs)

    async def register_app(
        self, url: str, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        """Ask the app at ``url`` to sync (PUT); in-process apps go through ``transport``."""
        if transport is not None:
            self._clients[url] = httpx.AsyncClient(
                transport=transport, timeout=self.cfg.request_timeout
            )
            if isinstance(transport, httpx.ASGITransport):
                self._apps[url] = transport.app
        client = self._clients.get(url, self._default_client)
        kind = "dev" if self.cfg.dev else "cloud"
        # The SDK echoes deployId on its POST /fn/register: proof this engine asked.
        ticket = {"deployId": sync_tickets.ticket(url)}
        res = await client.put(url, params=ticket, headers={"x-inngest-server-kind": kind})
        if res.status_code >= 400:
            raise RuntimeError(
                f"app at {url} refused to sync: HTTP {res.status_code} {res.text[:300]}"
            )

    def target_for(self, fn: FunctionSpec) -> Target:
        """Our own in-process copy of the app first, then whatever serves its URL."""
        local = self._local.get(fn.id)
        if local is not None:
            return local
        for url, app in self._apps.items():
            if fn.url.startswith(url):
                return app
        for url, client in self._clients.items():
            if fn.url.startswith(url):
                return client
        return self._default_client

    async def close(self) -> None:
        """Close the clients of registered apps and forget the in-process ones."""
        for client in self._clients.values():
            await client.aclose()
        self._clients.clear()
        self._apps.clear()
        self._local.clear()
