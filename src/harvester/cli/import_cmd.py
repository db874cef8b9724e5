"""``harvester import FILE…``: the files of Zeeschuimer, 4CAT, TikTokApi, Apify and
yt-dlp (or our own columns), recognised by shape, into the pipeline (docs/import.md)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from harvester.cli.terminal import stderr_console
from harvester.jobs.importer import DEFAULT_MAX_BAD, FileReport, import_path, totals
from harvester.logging_setup import configure_logging
from harvester.settings import get_settings
from harvester.store import Database, upgrade
from harvester.store.clock import utcnow
from harvester.tiktok.imports import ImportFormat, Refused, detect

console = Console(stderr=True)  # the progress bars: a terminal's width
_MAX_BAD = re.compile(r"^(\d{1,9})(%?)$")


def check_path(path: Path, root: Path) -> Path:
    """The resolved file; ValueError (a sentence) when it is refused."""
    base = root.resolve()
    try:
        real = path.resolve(strict=True)
    except (FileNotFoundError, RuntimeError) as exc:
        raise ValueError(f"{path}: no such file") from exc
    if not real.is_relative_to(base):
        raise ValueError(
            f"{path}: outside the import directory {base} (pass --root to import from elsewhere)"
        )
    if not real.is_file():
        raise ValueError(f"{path}: not a regular file")
    return real


def parse_max_bad(value: str) -> float:
    """``1%`` (a share of the rows) or ``25`` (a count) → the importer's ``max_bad``."""
    m = _MAX_BAD.match(value.strip())
    if not m or (m.group(2) and int(m.group(1)) > 100):
        raise typer.BadParameter("give a percentage (1%, at most 100%) or a count of rows (25)")
    n = int(m.group(1))
    return n / 100 if m.group(2) else float(max(n, 1) if n else 0)


def _table(reports: list[FileReport]) -> Table:
    t = Table(title="import report", title_justify="left")
    for col in ("file", "format", "new videos", "updated", "new comments", "promoted", "skipped"):
        t.add_column(col, justify="left" if col in ("file", "format", "skipped") else "right")
    for r in reports:
        skipped = ", ".join(f"{k} {n}" for k, n in sorted(r.skipped.items())) or "—"
        t.add_row(
            r.file,
            r.format or "—",
            str(r.new_videos),
            str(r.updated_videos),
            str(r.new_comments),
            str(r.promoted_videos),
            skipped,
        )
    return t


def _print(reports: list[FileReport]) -> None:
    console = stderr_console()  # the report: never cut when piped or logged
    console.print(_table(reports))
    for r in reports:
        for err in r.errors:
            console.print(f"[yellow]skipped[/] {r.file}: {err}", highlight=False)
        if r.refused:
            console.print(f"[red]refused[/] {r.file}: {r.refused}", highlight=False)
        elif not r.added:
            console.print(f"{r.file}: nothing new: every post and comment was already stored")
    t = totals(reports)
    console.print(
        f"new videos {t['new_videos']} · updated {t['updated_videos']} · new comments "
        f"{t['new_comments']} · promoted {t['promoted_videos']} · mentions {t['mentions']} · "
        f"new domains {t['new_domains']}",
        highlight=False,
    )


def _run(
    files: list[tuple[str, Path]], fmt: ImportFormat | None, max_bad: float
) -> list[FileReport]:
    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.effective_database_url)
    reports = []
    try:
        upgrade(db)
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>3.0f}%"),
        )
        with Progress(*columns, TimeRemainingColumn(), console=console) as bar:
            for shown, real in files:
                task: TaskID = bar.add_task(shown, total=1)

                def step(done: int, total: int, task: TaskID = task) -> None:
                    bar.update(task, completed=done, total=total)

                reports.append(
                    import_path(
                        db, utcnow, real, name=shown, forced=fmt, max_bad=max_bad, progress=step
                    )
                )
                bar.update(task, completed=1, total=1)
    finally:
        db.dispose()
    return reports


def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="Export files, any of the formats.")],
    root: Annotated[
        Path, typer.Option(help="Only files inside this directory are read (default: here).")
    ] = Path("."),
    fmt: Annotated[
        ImportFormat | None,
        typer.Option("--format", help="Read every file as this format (default: by shape)."),
    ] = None,
    max_bad: Annotated[
        str,
        typer.Option(
            "--max-bad", help="Malformed rows a file may hold before it is refused: 1% or 25."
        ),
    ] = f"{DEFAULT_MAX_BAD:.0%}",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import collectors' files of TikTok posts and comments; re-importing adds nothing.

    Exit 0: imported; 1: some malformed rows were skipped; 2: a file was refused
    (nothing of it stored)."""
    limit = parse_max_bad(max_bad)
    checked: list[tuple[str, Path]] = []
    refused: list[FileReport] = []
    for f in files:
        try:
            real = check_path(f, root)
            detect(real, fmt)
            checked.append((str(f), real))
        except (ValueError, Refused) as exc:
            refused.append(FileReport(file=str(f), refused=str(exc).removeprefix(f"{f}: ")))
    configure_logging("WARNING", get_settings().log_format)
    reports = _run(checked, fmt, limit) if checked else []
    reports = sorted([*reports, *refused], key=lambda r: [str(f) for f in files].index(r.file))
    _print(reports)
    if as_json:
        typer.echo(json.dumps(totals(reports)))
    if any(r.refused for r in reports):
        raise typer.Exit(2)
    if any(r.bad_rows for r in reports):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("import")(import_cmd)
