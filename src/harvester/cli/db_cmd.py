"""``harvester db ...``: schema migrations.

The store (SQLAlchemy, Alembic) is imported inside the commands, so that
``harvester db --help`` starts at once.
"""

from __future__ import annotations

import typer
from rich.console import Console

from harvester.settings import get_settings

db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
console = Console(stderr=True)


@db_app.command("upgrade")
def upgrade_cmd() -> None:
    """Apply every pending migration (also done automatically on start)."""
    from harvester.store import Database
    from harvester.store.migrate import current_revision, upgrade

    url = get_settings().effective_database_url
    db = Database(url)
    try:
        upgrade(db)
        console.print(f"schema at revision [bold]{current_revision(db)}[/] on {db.dialect}")
    except Exception as exc:
        console.print(
            f"[red]migration failed:[/] {exc}\nCheck DATABASE_URL and that the "
            "database server is reachable (`harvester doctor`)."
        )
        raise typer.Exit(1) from exc
    finally:
        db.dispose()


@db_app.command("status")
def status_cmd() -> None:
    """Show the current and the latest schema revision."""
    from harvester.cli.target import sqlite_file
    from harvester.store import Database
    from harvester.store.migrate import current_revision, head_revision

    url = get_settings().effective_database_url
    missing = sqlite_file(url)
    if missing is not None and not missing.exists():  # looking must not create it
        console.print(f"no database at {missing}: `harvester db upgrade` creates it")
        raise typer.Exit(1)
    db = Database(url)
    try:
        cur, head = current_revision(db), head_revision()
    finally:
        db.dispose()
    console.print(f"current: {cur or 'none'}  head: {head}")
    if cur != head:
        console.print("run `harvester db upgrade` to apply the pending migrations")
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
