"""``harvester import FILE…``: scraper exports (JSON, JSONL, CSV) of videos and comments
into the pipeline (docs/import.md)."""

from __future__ import annotations

import csv
import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from harvester.jobs.importer import Importer, ImportReport
from harvester.logging_setup import configure_logging
from harvester.settings import get_settings
from harvester.store import Database, upgrade
from harvester.store.clock import utcnow
from harvester.tiktok.exports import SUFFIXES, Format, RowError, read_rows

console = Console(stderr=True)
SHOWN_ERRORS = 20


def check_path(path: Path, root: Path, fmt: Format | None) -> tuple[Path, Format]:
    """The resolved file and its format; ValueError (a sentence) when it is refused."""
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
    kind = fmt or SUFFIXES.get(real.suffix.lower())
    if kind is None:
        raise ValueError(
            f"{path}: unknown format {real.suffix or '(no suffix)'}: use .json, .jsonl or "
            ".csv, or pass --format"
        )
    return real, kind


def _import_file(
    importer: Importer, path: Path, fmt: Format, shown: str, progress: Progress
) -> None:
    task = progress.add_task(shown, total=path.stat().st_size or 1)
    try:
        for parsed in read_rows(path, fmt, shown):
            importer.add(parsed.row, parsed.error)
            progress.update(task, completed=parsed.end_offset)
    except (UnicodeDecodeError, csv.Error, ValueError) as exc:
        importer.report.rows += 1
        importer.report.errors.append(RowError(shown, 0, "file", f"unreadable: {exc}"))
    importer.flush()
    progress.update(task, completed=path.stat().st_size or 1)


def _print(report: ImportReport) -> None:
    for err in report.errors[:SHOWN_ERRORS]:
        console.print(f"[red]refused[/] {err}", highlight=False)
    if report.failed > SHOWN_ERRORS:
        console.print(f"… and {report.failed - SHOWN_ERRORS} more refused rows")
    console.print(
        f"rows {report.rows} · new videos {report.new_videos} · new comments "
        f"{report.new_comments} · mentions {report.mentions} · new domains "
        f"{report.new_domains} · failed {report.failed}",
        highlight=False,
    )


def import_cmd(
    files: Annotated[list[Path], typer.Argument(help="Export files (.json, .jsonl, .csv).")],
    root: Annotated[
        Path, typer.Option(help="Only files inside this directory are read (default: here).")
    ] = Path("."),
    fmt: Annotated[
        Format | None, typer.Option("--format", help="Format of every file (default: by suffix).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Import scraper exports of videos and comments; re-importing adds nothing."""
    checked = []
    for f in files:
        try:
            checked.append((f, *check_path(f, root, fmt)))
        except ValueError as exc:
            console.print(f"[red]refused:[/] {exc}", highlight=False)
            raise typer.Exit(2) from exc
    settings = get_settings()
    configure_logging("WARNING", settings.log_format)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.effective_database_url)
    try:
        upgrade(db)
        importer = Importer(db, utcnow)
        columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn())
        with Progress(*columns, TimeRemainingColumn(), console=console) as progress:
            for given, real, kind in checked:
                _import_file(importer, real, kind, str(given), progress)
    finally:
        db.dispose()
    report = importer.report
    _print(report)
    if as_json:
        out = {k: v for k, v in asdict(report).items() if k != "errors"}
        typer.echo(
            json.dumps({**out, "failed": report.failed, "errors": [str(e) for e in report.errors]})
        )
    if report.failed:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("import")(import_cmd)
