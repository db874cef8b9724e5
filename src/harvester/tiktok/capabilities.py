"""What each kind of source can do, declared in one place.

The jobs, the quota planner, ``doctor``, the CLI and the settings' defaults ask a
source's capabilities, never its kind: adding a source means one row here and one
branch in ``factory.py``.
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
    # Settings it gives itself unless the user sets them: (field of ``Settings``, value).
    defaults: tuple[tuple[str, int], ...] = ()
    # The field of ``Settings`` naming the client whose daily quota it spends (unset or
    # None: the ledger counts it under the kind's own name).
    quota_client_setting: str | None = None

    def answering_by_callback(self, on: bool) -> Capabilities:
        """The same capabilities for an instance that does (or does not) answer later."""
        return replace(self, asynchronous=self.callbacks and on)


# The simulator's demo world (docs/sources.md) runs faster than TikTok allows, and has
# a daily quota of its own, large enough for a lively demo, spent through the same
# ledger and planner as the real one (the simulator answers to it too).
SIM_RATE_PER_MINUTE = 1_000
SIM_QUOTA_REQUESTS_PER_DAY = 100_000
SIM_QUOTA_RECORDS_PER_DAY = 10_000_000

SIMULATOR = Capabilities(
    SourceKind.SIMULATOR,
    "simulator (built in; started by `harvester up`)",
    simulated=True,
    spends_quota=True,
    callbacks=False,
    defaults=(
        ("api_rate_per_minute", SIM_RATE_PER_MINUTE),
        ("quota_requests_per_day", SIM_QUOTA_REQUESTS_PER_DAY),
        ("quota_records_per_day", SIM_QUOTA_RECORDS_PER_DAY),
    ),
)
RESEARCH = Capabilities(
    SourceKind.RESEARCH,
    "TikTok Research API",
    simulated=False,
    spends_quota=True,
    callbacks=False,
    needs=("tiktok_client_key", "tiktok_client_secret"),
    quota_client_setting="tiktok_client_key",
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


def own_default(settings: Settings, field: str) -> int | None:
    """The chosen source's own value for a settings field the user left unset, else None
    (an explicit setting always wins)."""
    if field in settings.model_fields_set:
        return None
    return dict(capabilities(settings.source).defaults).get(field)


def effective(settings: Settings, field: str) -> int:
    """The integer setting ``field`` as the chosen source runs with it: what the user
    set, else the source's own default (the simulator's demo world grants itself a
    livelier rate and quota), else the general default."""
    own = own_default(settings, field)
    return int(getattr(settings, field)) if own is None else own


def quota_client_key(settings: Settings) -> str:
    """Whose daily quota the ledger counts: the source's client key when it names one
    and it is set, else the kind of source."""
    field = capabilities(settings.source).quota_client_setting
    key = getattr(settings, field) if field else None
    return str(key) if key else str(settings.source)
