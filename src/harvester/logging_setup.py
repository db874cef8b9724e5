"""The one logging setup: structlog, JSON when not on a TTY, pretty on a TTY, and (for
the server) a rotating JSON file in the data dir that outlives the terminal.

Context such as ``run_id``/``fn_id``/``step_id`` is bound with
``structlog.contextvars.bind_contextvars`` and appears on every line. structlog and the
stdlib loggers (uvicorn, alembic, the SDK) go through the same handlers, so each line is
written once per destination and names its logger.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

import structlog

LOG_FILE = "harvester.log"
LOG_FILE_BYTES = 10 * 1024 * 1024
LOG_FILE_KEEP = 5
# Third-party chatter an operator does not act on: HTTP client lines, access lines,
# uvicorn's start/stop lines (one set per server: the simulator's and ours), Alembic's
# plugin set-up. Their warnings and errors still show.
QUIET = ("httpx", "httpcore", "uvicorn.access", "uvicorn.error", "alembic")


class _CurrentStderr:
    """Whatever ``sys.stderr`` is when a line is written, not when logging was set up
    (a test runner swaps and closes the stream it captured)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _formatter(
    shared: list[structlog.types.Processor], renderer: structlog.types.Processor, json: bool
) -> structlog.stdlib.ProcessorFormatter:
    tail: list[structlog.types.Processor] = [structlog.processors.format_exc_info] if json else []
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail, renderer],
    )


def configure_logging(level: str = "INFO", fmt: str = "auto", log_file: Path | None = None) -> None:
    """Configure structlog and stdlib logging once per process; with ``log_file``, every
    line also goes there as JSON (rotated at 10 MB, five files kept)."""
    json_output = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    levelno = logging.getLevelNamesMapping().get(level.upper(), logging.INFO)
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer()
        if json_output
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(levelno),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(_CurrentStderr())
    handler.setFormatter(_formatter(shared, renderer, json_output))
    handlers: list[logging.Handler] = [handler]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=LOG_FILE_BYTES, backupCount=LOG_FILE_KEEP, encoding="utf-8"
        )
        to_file.setFormatter(_formatter(shared, structlog.processors.JSONRenderer(), True))
        handlers.append(to_file)
    root = logging.getLogger()
    for old in root.handlers:
        if old not in handlers:
            old.close()
    root.handlers[:] = handlers
    root.setLevel(levelno)
    for noisy in QUIET:
        logging.getLogger(noisy).setLevel(max(levelno, logging.WARNING))


def tail(log_file: Path, lines: int = 100) -> list[str]:
    """The last ``lines`` lines of ``log_file`` (none when it does not exist yet)."""
    try:
        with log_file.open("rb") as fh:
            fh.seek(0, 2)
            size = fh.tell()
            start = max(0, size - lines * 1000)
            fh.seek(start)
            data = fh.read()
    except OSError:
        return []
    found = data.decode("utf-8", "replace").splitlines()
    return (found[1:] if start else found)[-lines:]  # from mid-file: the first is partial
