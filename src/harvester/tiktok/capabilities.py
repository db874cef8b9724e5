"""What each kind of source can do, declared in one place.

The jobs, the quota planner, ``doctor`` and the CLI ask a source's capabilities, never
its kind: adding a source means one row here and one branch in ``factory.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from pydantic import AliasChoices

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
    # The settings it cannot start without (fields of ``Settings``).
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
    needs=("tiktok_client_key", "tiktok_client_secret"),
)
WEBHOOK = Capabilities(
    SourceKind.WEBHOOK,
    "webhook worker (your collector answers signed jobs)",
    simulated=False,
    spends_quota=False,
    callbacks=True,
    needs=("worker_webhook_url", "worker_webhook_secret"),
)
CAPABILITIES: dict[SourceKind, Capabilities] = {c.kind: c for c in (SIMULATOR, RESEARCH, WEBHOOK)}


def capabilities(kind: SourceKind) -> Capabilities:
    """The capabilities of a kind of source, before any is built."""
    return CAPABILITIES[kind]


def _variable(field: str) -> str:
    """The environment variable a user sets for a settings field (its first alias)."""
    alias = Settings.model_fields[field].validation_alias
    return str(alias.choices[0]) if isinstance(alias, AliasChoices) else field.upper()


def missing_settings(settings: Settings) -> list[str]:
    """The environment variables the chosen source needs and that are not set."""
    return [
        _variable(field)
        for field in capabilities(settings.source).needs
        if not getattr(settings, field)
    ]
