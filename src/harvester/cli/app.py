"""The root typer app; its commands are imported only when they run (see ``lazy``)."""

from __future__ import annotations

import sys
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


_debug = {"on": False}  # --debug: a bad setting shows its traceback too


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print version.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show the traceback of a settings error.")
    ] = False,
) -> None:
    """TikTok Domain Harvester."""
    _debug["on"] = debug


def main() -> None:
    """Entry point of the ``harvester`` script: a bad setting is one line per variable
    and exit 2, not a traceback (``--debug`` shows it)."""
    try:
        app()
    except Exception as exc:
        # Whatever raised a SettingsError imported its module: `--help` and the commands
        # that read no settings do not import it (and pydantic) for this ``except``.
        if _debug["on"] or "harvester.settings_errors" not in sys.modules:
            raise
        from harvester.settings_errors import SettingsError

        if not isinstance(exc, SettingsError):
            raise
        for line in exc.lines:
            print(f"harvester: bad setting {line}", file=sys.stderr)
        print(
            "harvester: fix the variable(s) above (README: Settings) and run again; "
            "`harvester --debug ...` shows the traceback",
            file=sys.stderr,
        )
        sys.exit(2)


if __name__ == "__main__":
    main()
