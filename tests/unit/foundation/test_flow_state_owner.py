"""Each flow-control feature owns its state: only engine/flow_state.py calls the system
database's string-keyed ``flow_get``/``flow_put``/``flow_delete``/``flow_prefix``
(sysdb.py defines them); everything else goes through its feature's typed class."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src" / "harvester"
OWNER = SRC / "engine" / "flow_state.py"
DEFINER = SRC / "engine" / "sysdb.py"
FLOW_CALL = re.compile(r"\.flow_(?:get|put|delete|prefix)\s*\(")


def _calls(path: Path) -> list[str]:
    found = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if FLOW_CALL.search(line.split("#", 1)[0]):
            found.append(f"{path.relative_to(SRC.parent)}:{n}: {line.strip()}")
    return found


def test_only_flow_state_touches_the_flow_table() -> None:
    allowed = {OWNER, DEFINER}
    found = [
        hit for path in sorted(SRC.rglob("*.py")) if path not in allowed for hit in _calls(path)
    ]
    assert not found, (
        "go through the feature's class in harvester.engine.flow_state instead:\n"
        + "\n".join(found)
    )


def test_the_grep_sees_each_kind_of_flow_call() -> None:
    for line in (
        "self.db.flow_get(conn, key, lock=True)",
        "db.flow_put(conn, key, value)",
        "self.db.flow_delete(uow.conn, key)",
        "for key, value in self.db.flow_prefix(conn, 'cron:'):",
        "db.flow_put (conn, k, v)",
    ):
        assert FLOW_CALL.search(line), line
    for line in ("def flow_get(self, conn, key):", "flow_state.CronSchedule(db)", "flow(x)"):
        assert not FLOW_CALL.search(line), line
