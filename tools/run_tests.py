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
# The clock-dependent tests (marked ``timedep``) run again in far-apart zones (UTC+14 and
# UTC-10) and starting just before midnight UTC of a leap February and of a year's end:
# a test that holds on one date, at one hour or in one zone only fails here.
TIME_MATRIX = (
    {"TZ": "Pacific/Kiritimati", "HARVESTER_TEST_START": "2028-02-28T23:59:50+00:00"},
    {"TZ": "America/Adak", "HARVESTER_TEST_START": "2026-12-31T23:59:50+00:00"},
)


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
    code = _pytest("pytest", [py, "-m", "pytest", *(argv or ["-q"])])
    if code != 0 or argv:  # a chosen subset runs once, as asked
        return code
    for extra in TIME_MATRIX:
        name = "pytest -m timedep " + " ".join(f"{k}={v}" for k, v in extra.items())
        cmd = [py, "-m", "pytest", "-q", "-m", "timedep", "-p", "no:cacheprovider"]
        code = _pytest(name, cmd, {**os.environ, **extra})
        if code != 0:
            return code
    return 0


def _pytest(name: str, cmd: list[str], env: dict[str, str] | None = None) -> int:
    code = stage(name, cmd, env)
    if code == PYTEST_NO_TESTS:
        print(f"=== {name} collected no tests: that is a failure here", flush=True)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
