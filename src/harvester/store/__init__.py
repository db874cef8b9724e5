"""Storage: the database, the models, the migrations, and one module per aggregate
(videos, comments, domains, mentions, ads, intel, job_runs, alerts, health, kv, overview,
retention) owning its queries.

Callers outside the store (jobs, web, runtime, cli) import the store's modules and the
states below, never SQLAlchemy or `harvester.store.models` (an import-linter contract).
"""

from harvester.store.db import Database, StorageError, StorageUnavailable
from harvester.store.migrate import upgrade
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
