"""The root typer app; subcommand modules are registered here."""

from __future__ import annotations

from typing import Annotated

import typer

from harvester import __version__
from harvester.cli import (
    db_cmd,
    doctor_cmd,
    domains_cmd,
    engine_cmd,
    extract_cmd,
    import_cmd,
    operator_cmd,
    pipeline_cmd,
    tiktok_cmd,
)

app = typer.Typer(
    name="harvester",
    help="TikTok Domain Harvester: promoted videos → comments → domains, on Inngest functions.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

# Modules that add their commands with ``register(app)``, in help order.
_COMMAND_MODULES = (
    db_cmd,
    doctor_cmd,
    extract_cmd,
    engine_cmd,
    tiktok_cmd,
    pipeline_cmd,
    operator_cmd,
    import_cmd,
    domains_cmd,
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


for _module in _COMMAND_MODULES:
    _module.register(app)


def main() -> None:
    """Entry point of the ``harvester`` script."""
    app()


if __name__ == "__main__":
    main()
