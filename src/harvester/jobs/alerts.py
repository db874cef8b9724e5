"""Alerts: stored, deduplicated by key within a window, posted to a Slack-compatible
webhook (``ALERT_WEBHOOK_URL``) or logged when none is configured."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import structlog

from harvester.store import Database, alerts
from harvester.store.clock import utcnow
from harvester.store.states import Severity

log = structlog.get_logger(__name__)
DEDUP_WINDOW = timedelta(minutes=15)


class AlertSink:
    """Raise alerts; a repeat of the same key within the window only bumps a counter."""

    def __init__(self, db: Database, webhook_url: str | None, http: httpx.AsyncClient) -> None:
        self._db = db
        self._url = webhook_url
        self._http = http

    async def raise_alert(
        self, key: str, severity: Severity, message: str, detail: dict[str, Any] | None = None
    ) -> bool:
        """Record (and deliver, unless a duplicate) an alert; True when it was delivered."""
        with self._db.session() as s:
            alert_id = alerts.record_alert(
                s, key, severity, message, detail, repeat_since=utcnow() - DEDUP_WINDOW
            )
        if alert_id is None:
            return False
        delivered = await self._deliver(severity, message, detail)
        if delivered:
            with self._db.session() as s:
                alerts.mark_delivered(s, alert_id)
        return delivered

    async def _deliver(
        self, severity: Severity, message: str, detail: dict[str, Any] | None
    ) -> bool:
        log.warning("alert", severity=str(severity), message=message, detail=detail)
        if not self._url:
            return False
        text = f"[{severity.upper()}] {message}"
        try:
            res = await self._http.post(self._url, json={"text": text, "detail": detail or {}})
            res.raise_for_status()
        except httpx.HTTPError as exc:
            log.error("alert delivery failed; check ALERT_WEBHOOK_URL", error=str(exc))
            return False
        return True
