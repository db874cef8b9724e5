"""``harvester extract``: domains from text lines, as JSON lines or CSV."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, TextIO

import typer

from harvester.domains import DEFAULT_BLOCKLIST, extract, parse_blocklist
from harvester.web.csv_cells import cell


def _lines(files: list[Path]) -> Iterator[str]:
    if not files:
        yield from (line.rstrip("\n") for line in sys.stdin)
        return
    for f in files:
        with f.open(encoding="utf-8", errors="replace") as fh:
            yield from (line.rstrip("\n") for line in fh)


def _write_csv(out: TextIO, lines: Iterator[str], kwargs: dict[str, object]) -> None:
    writer = csv.writer(out)
    writer.writerow(["line_no", "text", "domain", "host", "obfuscated", "email", "confidence"])
    for n, text in enumerate(lines, 1):
        for d in extract(text, **kwargs).domains:  # type: ignore[arg-type]
            row = [n, text, d.domain, d.host, d.obfuscated, d.email, d.confidence]
            writer.writerow([cell(v) for v in row])


def extract_cmd(
    files: Annotated[list[Path] | None, typer.Argument(help="Text files (default: stdin).")] = None,
    fmt: Annotated[
        str, typer.Option("--format", help="json (one object per line) or csv.")
    ] = "json",
    blocklist_file: Annotated[
        Path | None, typer.Option(help="Domains to filter, one per line (default: platforms).")
    ] = None,
    no_emails: Annotated[bool, typer.Option("--no-emails", help="Ignore email addresses.")] = False,
) -> None:
    """Extract the domains mentioned in each line of text."""
    if fmt not in ("json", "csv"):
        typer.echo(f"unknown --format {fmt!r}: use json or csv", err=True)
        raise typer.Exit(2)
    paths = files or []
    for p in [*paths, *([blocklist_file] if blocklist_file else [])]:
        if not p.is_file():
            typer.echo(f"cannot read {p}: no such file; check the path", err=True)
            raise typer.Exit(2)
    blocklist = (
        parse_blocklist(blocklist_file.read_text("utf-8")) if blocklist_file else DEFAULT_BLOCKLIST
    )
    kwargs: dict[str, object] = {"blocklist": blocklist, "include_emails": not no_emails}
    out = sys.stdout
    if fmt == "csv":
        _write_csv(out, _lines(paths), kwargs)
        return
    for text in _lines(paths):
        res = extract(text, **kwargs)  # type: ignore[arg-type]
        out.write(
            json.dumps(
                {
                    "text": text,
                    "domains": [d.to_dict() for d in res.domains],
                    "filtered": [d.to_dict() for d in res.filtered],
                },
                ensure_ascii=False,
            )
            + "\n"
        )


def register(app: typer.Typer) -> None:
    app.command("extract")(extract_cmd)
