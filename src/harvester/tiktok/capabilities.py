"""What each kind of source can do, declared in one place.

The jobs, the quota planner, ``doctor`` and the CLI ask a source's capabilities, never
its kind: adding a source means one row here and one branch in ``factory.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from harvester.settings import Settings, SourceKind


@dataclass(frozen=True)
class Capabilities:
    """What a source does, as its callers need to know it."""

    kind: SourceKind
    # One line for people (doctor, `harvester up`).
    label: str
    # Runs the built-in simulator world on loopback (`harvester up` starts it).
    simulated: bool
    # Each data request spends TikTok's daily quota, so cycles plan within it.
    spends_quota: bool
    # May answer comment pages later, by a signed callback (a webhook worker).
    callbacks: bool
    # The settings it cannot start without, as environment variable names.
    needs: tuple[str, ...] = ()
    # This instance answers by callback now (``callbacks`` and a reply-to URL set).
    asynchronous: bool = False

    def answering_by_callback(self, on: bool) -> Capabilities:
        """The same capabilities for an instance that does (or does not) answer later."""
        return replace(self, asynchronous=self.callbacks and on)


SIMULATOR = Capabilities(
    SourceKind.SIMULATOR,
    "simulator (built in; started by `harvester up`)",
    simulated=True,
    spends_quota=True,
    callbacks=False,
)
RESEARCH = Capabilities(
    SourceKind.RESEARCH,
    "TikTok Research API",
    simulated=False,
    spends_quota=True,
    callbacks=False,
    needs=("TIKTOK_CLIENT_KEY", "TIKTOK_CLIENT_SECRET"),
)
WEBHOOK = Capabilities(
    SourceKind.WEBHOOK,
    "webhook worker (your collector answers signed jobs)",
    simulated=False,
    spends_quota=False,
    callbacks=True,
    needs=("WORKER_WEBHOOK_URL", "WORKER_WEBHOOK_SECRET"),
)
CAPABILITIES: dict[SourceKind, Capabilities] = {c.kind: c for c in (SIMULATOR, RESEARCH, WEBHOOK)}


def capabilities(kind: SourceKind) -> Capabilities:
    """The capabilities of a kind of source, before any is built."""
    return CAPABILITIES[kind]


# Where each setting a source needs is read from (the names users set).
_SETTING_OF = {
    "TIKTOK_CLIENT_KEY": "tiktok_client_key",
    "TIKTOK_CLIENT_SECRET": "tiktok_client_secret",
    "WORKER_WEBHOOK_URL": "worker_webhook_url",
    "WORKER_WEBHOOK_SECRET": "worker_webhook_secret",
}


def missing_settings(settings: Settings) -> list[str]:
    """The environment variables the chosen source needs and that are not set."""
    return [
        env
        for env in capabilities(settings.source).needs
        if not getattr(settings, _SETTING_OF[env])
    ]
