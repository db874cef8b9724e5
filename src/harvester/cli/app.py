"""The root typer app; subcommand modules are registered here."""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from harvester import __version__

app = typer.Typer(
    name="harvester",
    help="TikTok Domain Harvester: promoted videos → comments → domains, on Inngest functions.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

# Modules that add commands with ``register(app)``; optional ones may not exist yet.
_COMMAND_MODULES = (
    "harvester.cli.db_cmd",
    "harvester.cli.doctor_cmd",
    "harvester.cli.extract_cmd",
    "harvester.cli.engine_cmd",
    "harvester.cli.tiktok_cmd",
    "harvester.cli.pipeline_cmd",
    "harvester.cli.ops_cmd",
    "harvester.cli.import_cmd",
    "harvester.cli.domains_cmd",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"harvester {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print version.")
    ] = False,
) -> None:
    """TikTok Domain Harvester."""


for _name in _COMMAND_MODULES:
    try:
        _module = importlib.import_module(_name)
    except ModuleNotFoundError as exc:
        if exc.name != _name:
            raise
        continue
    _module.register(app)


def main() -> None:
    """Entry point of the ``harvester`` script."""
    app()


if __name__ == "__main__":
    main()
