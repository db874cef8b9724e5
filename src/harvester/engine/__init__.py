"""An embedded, Inngest-compatible durable executor. Imports nothing from the rest of
the harvester: it runs any app written with the official SDK.

This module is its public face; the rest of the harvester imports only from here."""

from harvester.engine.api import read_json_body, validate_events
from harvester.engine.browser_guard import browser_problem, cross_site_problem, loopback_name
from harvester.engine.config import (
    MAX_BODY_BYTES,
    MAX_EVENT_REQUEST_BYTES,
    TERMINAL,
    EngineConfig,
    RunStatus,
)
from harvester.engine.core import Engine
from harvester.engine.records import (
    EventRecord,
    EventRun,
    FunctionBucket,
    FunctionRecord,
    QueueItem,
    QueueKind,
    QueueStats,
    RunPage,
    RunRecord,
    RunSummary,
    StepRecord,
)
from harvester.engine.safejson import JSONRejected, check_content_type, read_limited
from harvester.engine.safejson import loads as strict_json_loads
from harvester.engine.server import create_app as create_engine_app
from harvester.engine.triggers import event_matches

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_EVENT_REQUEST_BYTES",
    "TERMINAL",
    "Engine",
    "EngineConfig",
    "EventRecord",
    "EventRun",
    "FunctionBucket",
    "FunctionRecord",
    "JSONRejected",
    "QueueItem",
    "QueueKind",
    "QueueStats",
    "RunPage",
    "RunRecord",
    "RunStatus",
    "RunSummary",
    "StepRecord",
    "browser_problem",
    "check_content_type",
    "create_engine_app",
    "cross_site_problem",
    "event_matches",
    "loopback_name",
    "read_json_body",
    "read_limited",
    "strict_json_loads",
    "validate_events",
]
