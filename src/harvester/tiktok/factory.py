"""Choose the source from the settings."""

from __future__ import annotations

import httpx

from harvester.settings import Settings, SourceKind
from harvester.tiktok import capabilities as caps
from harvester.tiktok.models import CallGuard, Source
from harvester.tiktok.quota import InMemoryQuota, QuotaSpender
from harvester.tiktok.research import TIMEOUT, ResearchApiSource
from harvester.tiktok.webhook import WebhookWorkerSource

SIM_CLIENT_KEY = "simulator"


SIM_DAILY_QUOTA = 1_000_000  # the demo world grants itself a larger quota


def make_source(
    settings: Settings,
    guard: CallGuard | None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    quota: QuotaSpender | None = None,
) -> Source:
    """simulator (default) | research | webhook — every call through ``guard`` if given,
    every official data request spent from ``quota`` (the guard's shared ledger, as
    the runtime passes it; default: counted in this process)."""
    missing = caps.missing_settings(settings)
    if missing:
        raise ValueError(f"HARVESTER_SOURCE={settings.source} needs {' and '.join(missing)}")
    http = httpx.AsyncClient(timeout=TIMEOUT, transport=transport)
    if settings.source is SourceKind.WEBHOOK:
        assert settings.worker_webhook_url and settings.worker_webhook_secret
        return WebhookWorkerSource(
            settings.worker_webhook_url,
            settings.worker_webhook_secret.get_secret_value(),
            http,
            guard,
            callback_url=settings.effective_worker_callback_url,
        )
    if settings.source is SourceKind.RESEARCH:
        assert settings.tiktok_client_key and settings.tiktok_client_secret
        return ResearchApiSource(
            settings.tiktok_api_base_url,
            settings.tiktok_client_key,
            settings.tiktok_client_secret.get_secret_value(),
            http=http,
            guard=guard,
            quota=quota,
        )
    # The simulator speaks the official wire format: the real client is what runs.
    base = "http://simulator" if transport else f"http://127.0.0.1:{settings.sim_port}"
    return ResearchApiSource(
        base,
        SIM_CLIENT_KEY,
        "simulator-secret",
        http=http,
        guard=guard,
        quota=quota or InMemoryQuota(SIM_DAILY_QUOTA),
        capabilities=caps.SIMULATOR,
    )
