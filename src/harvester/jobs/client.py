"""The Inngest client of the harvester app (official SDK)."""

from __future__ import annotations

import logging

import inngest

from harvester.settings import Settings

APP_ID = "tiktok-harvester"


def make_client(settings: Settings) -> inngest.Inngest:
    """Dev mode (the embedded engine or a dev server) unless an Inngest server is set."""
    dev = settings.embedded_engine or bool(settings.inngest_dev)
    signing = (
        settings.inngest_signing_key.get_secret_value() if settings.inngest_signing_key else None
    )
    event_key = (
        settings.inngest_event_key.get_secret_value() if settings.inngest_event_key else None
    )
    base = (
        f"http://{settings.host}:{settings.port}"
        if settings.embedded_engine
        else settings.inngest_base_url
    )
    return inngest.Inngest(
        app_id=APP_ID,
        is_production=not dev,
        api_base_url=base,
        event_api_base_url=base,
        signing_key=signing,
        event_key=event_key,
        logger=logging.getLogger("harvester.inngest"),
    )
