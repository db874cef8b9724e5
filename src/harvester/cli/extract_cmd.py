"""``harvester extract``: domains from text lines, as JSON lines or CSV.

JSON lines are encoded with orjson and written in blocks to the binary stream: with
``json.dumps`` and a write per line the CLI cost five times the extraction.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, BinaryIO, TextIO

import orjson
import typer

from harvester.domains import DEFAULT_BLOCKLIST, extract, parse_blocklist
from harvester.kernel.csv_cells import cell

STDIN = Path("-")
HEADER = (
    *("line_no", "text", "domain", "host", "obfuscated", "email", "confidence"),
    *("icann_domain", "deceptive"),
)


def _lines(files: list[Path]) -> Iterator[str]:
    for f in files or [STDIN]:
        if f == STDIN:  # undecodable bytes read as U+FFFD, as in files
            stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
            yield from (line.rstrip("\n") for line in stdin)
            continue
        with f.open(encoding="utf-8", errors="replace") as fh:
            yield from (line.rstrip("\n") for line in fh)


def _write_csv(out: TextIO, lines: Iterator[str], kwargs: dict[str, object]) -> None:
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for n, text in enumerate(lines, 1):
        for d in extract(text, **kwargs).domains:  # type: ignore[arg-type]
            row = [n, text, d.domain, d.host, d.obfuscated, d.email, d.confidence]
            row += [d.icann_domain, d.deceptive]
            writer.writerow([cell(v) for v in row])


# Lines encoded before one write: big enough to spare the calls, small enough to stream.
_BLOCK = 512


def _write_json(out: BinaryIO, lines: Iterator[str], kwargs: dict[str, object]) -> None:
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    block: list[bytes] = []
    for text in lines:
        res = extract(text, **kwargs)  # type: ignore[arg-type]
        row = {
            "text": text,
            "domains": [d.to_dict() for d in res.domains],
            "filtered": [d.to_dict() for d in res.filtered],
        }
        block.append(dumps(row, option=newline))
        if len(block) >= _BLOCK:
            out.write(b"".join(block))
            block.clear()
    out.write(b"".join(block))
    out.flush()


def extract_cmd(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Text files; - or none: standard input.")
    ] = None,
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
        if p != STDIN and not p.is_file():
            typer.echo(f"cannot read {p}: no such file; check the path", err=True)
            raise typer.Exit(2)
    blocklist = (
        parse_blocklist(blocklist_file.read_text("utf-8")) if blocklist_file else DEFAULT_BLOCKLIST
    )
    kwargs: dict[str, object] = {"blocklist": blocklist, "include_emails": not no_emails}
    if fmt == "csv":
        _write_csv(sys.stdout, _lines(paths), kwargs)
        return
    sys.stdout.flush()
    _write_json(sys.stdout.buffer, _lines(paths), kwargs)


def register(app: typer.Typer) -> None:
    app.command("extract")(extract_cmd)
