"""The root typer app; its commands are imported only when they run (see ``lazy``)."""

from __future__ import annotations

from typing import Annotated

import typer

from harvester.cli.lazy import LazyGroup

app = typer.Typer(
    name="harvester",
    help="TikTok Domain Harvester: promoted videos → comments → domains, on Inngest functions.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    cls=LazyGroup,
)


def _version(value: bool) -> None:
    if value:
        from harvester import __version__

        typer.echo(f"harvester {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print version.")
    ] = False,
) -> None:
    """TikTok Domain Harvester."""


def main() -> None:
    """Entry point of the ``harvester`` script."""
    app()


if __name__ == "__main__":
    main()
