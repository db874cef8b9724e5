"""Storage: the database, the models, the migrations, and one module per aggregate
(videos, comments, domains, mentions, ads, intel, job_runs, alerts, health, kv, overview,
retention) owning its queries.

Callers outside the store (jobs, web, runtime, cli) import the store's modules and the
states below, never SQLAlchemy or `harvester.store.models` (an import-linter contract).
"""

from typing import TYPE_CHECKING, Any

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
    from harvester.store.db import Database, StorageError, StorageUnavailable
    from harvester.store.migrate import upgrade


def __getattr__(name: str) -> Any:
    """The database layer loads on first use: ``upgrade`` imports Alembic, the others
    SQLAlchemy, and a module of the store that needs neither (``sqlite_peek``, which
    ``harvester doctor`` reads a SQLite file with) must not pay for them."""
    if name == "upgrade":
        from harvester.store.migrate import upgrade

        return upgrade
    if name in ("Database", "StorageError", "StorageUnavailable"):
        from harvester.store import db

        return getattr(db, name)
    raise AttributeError(f"module 'harvester.store' has no attribute {name!r}")
