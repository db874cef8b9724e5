"""The ``harvester`` command line (typer). Each module registers its own commands."""

from __future__ import annotations

from harvester.cli.app import app, main

__all__ = ["app", "main"]
