"""The app is assembled in one place: ``harvester.runtime.build_runtime``.

Another module that builds the guard, the functions' dependencies, the alert sink or a
``Runtime`` is a second way to assemble the app (the CLI once had its own
``OfflineRuntime``, whose guard had no daily quota ledger); this test names it.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src" / "harvester"
ASSEMBLED = {"Guard", "JobDeps", "AlertSink", "Runtime"}


def builders(root: Path) -> list[tuple[str, str]]:
    """(module, class) for every call building a part of the app outside runtime.py."""
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel == "runtime.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            call = isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            if call and node.func.id in ASSEMBLED:
                found.append((rel, node.func.id))
    return found


def test_only_the_runtime_builds_the_app() -> None:
    assert builders(SRC) == []


def test_a_second_assembly_is_named(tmp_path: Path) -> None:
    (tmp_path / "cli").mkdir()
    (tmp_path / "runtime.py").write_text("Guard(db=None)\n")
    (tmp_path / "cli" / "ops.py").write_text(
        "from harvester.guard import Guard\n\ndef f(db):\n    return Guard(db=db)\n"
    )
    assert builders(tmp_path) == [("cli/ops.py", "Guard")]
