"""The kill switch: one setting row every process reads (cached for a second)."""

from __future__ import annotations

from typing import Any

from harvester.clock import monotonic, utcnow
from harvester.store import Database
from harvester.store.guard_state import GuardState, KillSwitchRecord

CACHE_SECONDS = 1.0


class KillSwitch:
    def __init__(self, db: Database) -> None:
        self._state = GuardState(db)
        self._cached: tuple[float, dict[str, Any]] | None = None

    async def state(self) -> dict[str, Any]:
        """``{"on": bool, "reason", "by", "at"}`` as stored (off when never set)."""
        value = self._state.load_kill_switch().as_dict()
        self._cached = (monotonic(), value)
        return value

    async def is_on(self) -> bool:
        if self._cached and monotonic() - self._cached[0] < CACHE_SECONDS:
            return bool(self._cached[1].get("on"))
        return bool((await self.state()).get("on"))

    async def _set(self, on: bool, reason: str, by: str) -> None:
        record = KillSwitchRecord(on, reason, by, utcnow().isoformat())
        self._state.save_kill_switch(record)
        self._cached = (monotonic(), record.as_dict())

    async def turn_on(self, reason: str, by: str) -> None:
        await self._set(True, reason, by)

    async def turn_off(self, by: str) -> None:
        await self._set(False, "", by)
