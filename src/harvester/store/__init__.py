"""Storage: the database, the models, the migrations, and one module per aggregate
(videos, comments, domains, mentions, ads, intel, job_runs, alerts, health, kv, overview,
retention) owning its queries.

Callers outside the store (jobs, web, runtime, cli) import the store's modules and the
states below, never SQLAlchemy or `harvester.store.models` (an import-linter contract).
"""

from typing import TYPE_CHECKING, Any

from harvester.store.db import Database, StorageError, StorageUnavailable
from harvester.store.states import (
    DeadLetterStatus,
    EnrichmentKind,
    HarvestStatus,
    JobState,
    LinkStatus,
    LookupStatus,
    Severity,
)

__all__ = [
    "Database",
    "DeadLetterStatus",
    "EnrichmentKind",
    "HarvestStatus",
    "JobState",
    "LinkStatus",
    "LookupStatus",
    "Severity",
    "StorageError",
    "StorageUnavailable",
    "upgrade",
]

if TYPE_CHECKING:
    from harvester.store.migrate import upgrade


def __getattr__(name: str) -> Any:
    """``upgrade`` imports Alembic: only when it is used (``harvester doctor`` and the
    light commands never do)."""
    if name == "upgrade":
        from harvester.store.migrate import upgrade

        return upgrade
    raise AttributeError(f"module 'harvester.store' has no attribute {name!r}")
