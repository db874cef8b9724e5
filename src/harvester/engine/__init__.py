"""An embedded, Inngest-compatible durable executor. Imports nothing from the rest of
the harvester: it runs any app written with the official SDK.

This module is its public face; the rest of the harvester imports only from here."""

from harvester.engine.api import read_json_body, validate_events
from harvester.engine.config import TERMINAL, EngineConfig, RunStatus
from harvester.engine.core import Engine
from harvester.engine.records import (
    EventRecord,
    EventRun,
    FunctionRecord,
    QueueItem,
    QueueKind,
    QueueStats,
    RunPage,
    RunRecord,
    RunSummary,
    StepRecord,
)
from harvester.engine.server import create_app as create_engine_app
from harvester.engine.triggers import event_matches

__all__ = [
    "TERMINAL",
    "Engine",
    "EngineConfig",
    "EventRecord",
    "EventRun",
    "FunctionRecord",
    "QueueItem",
    "QueueKind",
    "QueueStats",
    "RunPage",
    "RunRecord",
    "RunStatus",
    "RunSummary",
    "StepRecord",
    "create_engine_app",
    "event_matches",
    "read_json_body",
    "validate_events",
]
