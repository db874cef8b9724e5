"""What the functions need at run time, handed to them when they are built."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from harvester.clock import PROCESS_CLOCK
from harvester.guard import Guard
from harvester.jobs.alerts import AlertSink
from harvester.settings import Settings
from harvester.store import Database
from harvester.tiktok import Source


@dataclass
class JobDeps:
    settings: Settings
    db: Database
    source: Source
    guard: Guard
    alerts: AlertSink
    clock: Callable[[], datetime] = field(default=PROCESS_CLOCK.now)
