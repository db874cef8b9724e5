"""The whole test command: lint, types, architecture contracts, then the test suite.

Run through the bootstrap: ``./harvester test [pytest args...]``. Each stage prints
its name and duration; the first failing stage stops the run with a non-zero exit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTEST_NO_TESTS = 5


def stage(name: str, cmd: list[str], env: dict[str, str] | None = None) -> int:
    print(f"\n=== {name}: {' '.join(cmd)}", flush=True)
    start = time.monotonic()
    code = subprocess.run(cmd, cwd=ROOT, env=env).returncode
    print(
        f"=== {name}: {'ok' if code == 0 else f'FAILED (exit {code})'} "
        f"in {time.monotonic() - start:.1f}s",
        flush=True,
    )
    return code


def ensure_chromium() -> None:
    """Install Debian's chromium for the browser tests when it is missing and we may."""
    if shutil.which("chromium") or os.environ.get("HARVESTER_SKIP_BROWSER_INSTALL"):
        return
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        print(
            "=== chromium missing and cannot be installed here (needs root + apt-get); "
            "browser tests will skip (and fail under CI=true)",
            flush=True,
        )
        return
    print("=== installing Debian chromium for the browser tests (one time)", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in ([apt, "update", "-qq"], [apt, "install", "-y", "-qq", "chromium"]):
        if subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL).returncode != 0:
            print("=== chromium install failed; browser tests will skip", flush=True)
            return


def main(argv: list[str]) -> int:
    py = sys.executable
    checks = [
        ("ruff lint", [py, "-m", "ruff", "check", "src", "tests", "bench", "tools"]),
        ("ruff format", [py, "-m", "ruff", "format", "--check", "src", "tests", "bench", "tools"]),
        ("mypy", [py, "-m", "mypy"]),
        ("import contracts", [str(Path(py).parent / "lint-imports")]),
    ]
    for name, cmd in checks:
        if stage(name, cmd) != 0:
            return 1
    ensure_chromium()
    code = stage("pytest", [py, "-m", "pytest", *(argv or ["-q"])])
    if code == PYTEST_NO_TESTS:
        print("=== pytest collected no tests: that is a failure here", flush=True)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
