"""The command table, and a click group that imports a command's module only when it runs.

Importing every command module pulls in SQLAlchemy, FastAPI, uvicorn, the SDK and the
whole application (3+ s); ``harvester --help`` and a light command need none of that.
The group lists commands from ``COMMANDS`` (name, module, one-line help) and imports a
module on first use; a test checks the table against what the modules register.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from typing import Protocol

import typer
import typer.main
from typer import _click as click  # typer vendors click: its groups speak these types
from typer.core import TyperCommand, TyperGroup


@dataclass(frozen=True)
class Entry:
    """Where a command lives and the help line ``--help`` lists for it."""

    module: str
    help: str


def _cli(name: str) -> str:
    return f"harvester.cli.{name}"


# In help order; typer lists single commands first, then groups (db, dlq).
COMMANDS: dict[str, Entry] = {
    "doctor": Entry(
        _cli("doctor_cmd"),
        "Print what is configured and what is reachable, with a hint for each problem.",
    ),
    "extract": Entry(_cli("extract_cmd"), "Extract the domains mentioned in each line of text."),
    "engine": Entry(
        _cli("engine_cmd"),
        "Run the Inngest-compatible engine alone; SDK apps sync to it with INNGEST_DEV=1.",
    ),
    "send": Entry(
        _cli("engine_cmd"),
        "Send one event to the engine; our own events are checked against their schema.",
    ),
    "runs": Entry(
        _cli("engine_cmd"), "List recent runs: from the running server, else the engine's database."
    ),
    "sim": Entry(
        _cli("tiktok_cmd"),
        "Serve the TikTok API simulator on 127.0.0.1 (official wire format, seeded data).",
    ),
    "worker": Entry(
        _cli("tiktok_cmd"),
        "Serve the webhook-worker contract on 127.0.0.1: HMAC-signed jobs; comment jobs\n"
        "with a ``reply_to`` are accepted (202) and their results posted back, signed.",
    ),
    "up": Entry(
        _cli("pipeline_cmd"),
        "Run everything on one machine: engine, functions, simulator, dashboard.",
    ),
    "once": Entry(
        _cli("pipeline_cmd"),
        "Run one discovery cycle to completion, showing progress, then a summary.\n"
        "Exit 1 when a run of the cycle failed or the cycle did not finish in time.",
    ),
    "serve": Entry(
        _cli("pipeline_cmd"), "Serve the app alone (for Inngest Cloud or a self-hosted server)."
    ),
    "run": Entry(
        _cli("operator_cmd"), "Show one run: its event, then the step timeline as a waterfall."
    ),
    "status": Entry(
        _cli("status_cmd"),
        "Runs of the last 24 h by status, their success rate, and the last health check.",
    ),
    "kill-switch": Entry(
        _cli("operator_cmd"),
        "Pause (on) or resume (off) every TikTok call; running steps see it within a second.",
    ),
    "import": Entry(
        _cli("import_cmd"),
        "Import collectors' files of TikTok posts and comments; re-importing adds nothing.",
    ),
    "domains": Entry(
        _cli("domains_cmd"),
        "List harvested domains with their signals (json/csv stream; progress on stderr).",
    ),
    "report": Entry(
        _cli("domains_cmd"),
        "The day's new and spiking domains with their evidence (comments, videos, advertisers).",
    ),
    "web-world": Entry(
        _cli("domains_cmd"),
        "Run the simulator's fake web on loopback and print the settings that point\n"
        "lookups at it (export them, with HARVESTER_DOMAIN_LOOKUPS=true, before `up`).",
    ),
    "feed": Entry(
        _cli("feed_cmd"), "Write the domains as a MISP feed, a STIX 2.1 bundle or plain lists."
    ),
    "db": Entry(_cli("db_cmd"), "Database schema (Alembic migrations)."),
    "dlq": Entry(
        _cli("operator_cmd"), "Dead letters: list them; `dlq replay ID|--all` re-sends them."
    ),
}


class _Registers(Protocol):
    def register(self, app: typer.Typer) -> None: ...


@cache
def commands_of(module: str) -> dict[str, click.Command]:
    """Import one command module and return the click commands it registers."""
    mod: _Registers = importlib.import_module(module)  # type: ignore[assignment]
    holder = typer.Typer()
    mod.register(holder)
    return dict(typer.main.get_group(holder).commands)


class LazyGroup(TyperGroup):
    """The root group: lists ``COMMANDS`` without importing them, loads one when it runs."""

    _listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        if self._listing:  # the help page needs a name and a line, not the command
            return TyperCommand(cmd_name, help=entry.help)
        return commands_of(entry.module).get(cmd_name)

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        # typer suggests near names from ``self.commands``, which stays empty here.
        self.commands = {name: TyperCommand(name) for name in COMMANDS}
        try:
            return super().resolve_command(ctx, args)
        finally:
            self.commands = {}
