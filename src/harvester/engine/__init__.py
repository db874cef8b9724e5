"""An embedded, Inngest-compatible durable executor. Imports nothing from the rest of
the harvester: it runs any app written with the official SDK."""

from harvester.engine.config import EngineConfig, RunStatus
from harvester.engine.core import Engine

__all__ = ["Engine", "EngineConfig", "RunStatus"]
