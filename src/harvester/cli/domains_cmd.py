"""``harvester domains``: the analyst's list, sorted and filtered, with its signals."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from harvester.cli.data_reads import open_database, server_domains
from harvester.cli.operator_cmd import FORMATS, _fail, _iso, err
from harvester.cli.target import pick
from harvester.cli.terminal import stdout_console
from harvester.clock import monotonic, utcnow
from harvester.domains.hosts import DomainKind
from harvester.kernel.export_columns import (
    DOMAIN_EXPORT_COLUMNS,
    UnknownColumns,
    csv_chunks,
    pick_columns,
)
from harvester.settings import get_settings
from harvester.store import domain_list
from harvester.store.day_report import day_report, known_days
from harvester.store.domain_list import DomainQuery, DomainSort
from harvester.web.report import render_csv, render_html

TABLE_COLUMNS = (
    "name",
    "signals",
    "mentions",
    "today",
    "Δday",
    "videos",
    "advs",
    "age",
    "first (UTC)",
)


def _parse_day(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(f"{flag} must be a day as YYYY-MM-DD (got {value!r})", 2) from None


def domains(
    new_today: Annotated[bool, typer.Option("--new-today", help="Only first seen today.")] = False,
    q: Annotated[str | None, typer.Option("--q", "-q", help="Substring of the name.")] = None,
    sort: Annotated[
        DomainSort, typer.Option(help="Order (growth_day/growth_week: pushed now).")
    ] = DomainSort.NEWEST,
    kind: Annotated[DomainKind | None, typer.Option(help="site, shortener, link_in_bio.")] = None,
    young: Annotated[bool, typer.Option("--young", help="Registered recently.")] = False,
    spiking: Annotated[bool, typer.Option("--spiking", help="Spiking today.")] = False,
    pushed: Annotated[bool, typer.Option("--pushed", help="Many advertisers/videos.")] = False,
    blocklisted: Annotated[bool, typer.Option("--blocklisted", help="On the blocklist.")] = False,
    min_mentions: Annotated[int, typer.Option(min=0)] = 0,
    min_videos: Annotated[int, typer.Option(min=0)] = 0,
    min_advertisers: Annotated[int, typer.Option(min=0)] = 0,
    since: Annotated[str | None, typer.Option(help="Mentioned on/after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Mentioned on/before YYYY-MM-DD.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many.")] = 50,
    all_: Annotated[bool, typer.Option("--all", help="Every match (ignores --limit).")] = False,
    fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    columns: Annotated[
        str | None,
        typer.Option(
            help="csv/json columns, comma-separated, in order (default: all of "
            + ", ".join(DOMAIN_EXPORT_COLUMNS)
            + "; the web export's ?columns= takes the same names)."
        ),
    ] = None,
) -> None:
    """List harvested domains with their signals (json/csv stream; progress on stderr)."""
    if fmt not in FORMATS:
        raise _fail(f"--format must be one of {', '.join(FORMATS)} (got {fmt!r})", 2)
    try:
        chosen = pick_columns(columns)
    except UnknownColumns as exc:
        raise _fail(f"--columns: {exc}", 2) from None
    if columns is not None and fmt == "table":
        raise _fail("--columns applies to --format csv or json, not to the table", 2)
    query = DomainQuery(
        q=q,
        new_today=new_today,
        kind=kind,
        young=young,
        spiking=spiking,
        pushed=pushed,
        blocklisted=blocklisted,
        min_mentions=min_mentions,
        min_videos=min_videos,
        min_advertisers=min_advertisers,
        since=_parse_day(since, "--since"),
        until=_parse_day(until, "--until"),
        sort=sort,
        descending=sort is not DomainSort.NAME,  # names A→Z, as the web sorts them
        thresholds=get_settings().thresholds,
    )
    target = pick(get_settings())
    if target.api is not None:  # the running server's view, from any folder
        params = {
            "q": q,
            "new_today": new_today,
            "sort": sort.value,
            "kind": kind.value if kind else None,
            "young": young,
            "spiking": spiking,
            "pushed": pushed,
            "blocklisted": blocklisted,
            "min_mentions": min_mentions,
            "min_videos": min_videos,
            "min_advertisers": min_advertisers,
            "since": since,
            "until": until,
        }
        try:
            want, rows = server_domains(target.api, params, None if all_ else limit)
            _emit(_with_progress(rows, want), fmt, chosen, columns is not None)
        finally:
            target.close()
        return
    db = open_database(target)
    try:
        with db.session() as s:
            total = domain_list.count(s, query)
            want = total if all_ else min(limit, total)
            found = domain_list.iter_all(s, query, limit=want)
            _emit(_with_progress(found, want), fmt, chosen, columns is not None)
    finally:
        db.dispose()


def _with_progress(rows: Iterator[dict[str, Any]], total: int) -> Iterator[dict[str, Any]]:
    if total < 5000 or not err.is_terminal:
        yield from rows
        return
    columns = (TextColumn("exporting domains"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("export", total=total)
        for row in rows:
            yield row
            progress.advance(task)


def _emit(rows: Iterator[dict[str, Any]], fmt: str, columns: tuple[str, ...], chosen: bool) -> None:
    """Rows as JSON (whole rows unless columns were chosen), CSV (the export's shared
    columns, as the web writes them) or a table."""
    if fmt == "json":
        sys.stdout.write("[")
        for i, r in enumerate(rows):
            item = {c: r[c] for c in columns} if chosen else r
            sys.stdout.write(
                ("," if i else "") + json.dumps(item, default=_iso, ensure_ascii=False)
            )
        sys.stdout.write("]\n")
        return
    if fmt == "csv":
        for chunk in csv_chunks(rows, columns):
            sys.stdout.write(chunk)
        return
    table = Table(*TABLE_COLUMNS)
    for r in rows:
        age = r["age_days"]
        table.add_row(
            r["name"] + ("" if r["kind"] == "site" else f" ({r['kind']})"),
            " ".join(r["signals"]),
            str(r["mention_count"]),
            str(r["mentions_today"]),
            f"{r['growth_day']:+d}",
            str(r["video_count"]),
            str(r["advertiser_count"]),
            "" if age is None else f"{age}d",
            r["first_seen_at"].strftime("%Y-%m-%d %H:%M"),
        )
    stdout_console().print(table)


def report(
    day: Annotated[
        str | None, typer.Option(help="The day, YYYY-MM-DD (default: today, UTC).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="html or csv.")] = "html",
    out_path: Annotated[
        Path | None, typer.Option("--out", help="Write to this file (default: stdout).")
    ] = None,
) -> None:
    """The day's new and spiking domains with their evidence (comments, videos, advertisers)."""
    if fmt not in ("html", "csv"):
        raise _fail(f"--format must be html or csv (got {fmt!r})", 2)
    the_day = _parse_day(day, "--day") or utcnow().date()
    db = open_database(pick(get_settings()))
    try:
        with db.session() as s:
            data = day_report(s, the_day, get_settings().thresholds)
            first, last = known_days(s)
    finally:
        db.dispose()
    text = render_html(data) if fmt == "html" else render_csv(data)
    if out_path is None:
        sys.stdout.write(text)
    else:
        out_path.write_text(text, encoding="utf-8")
        err.print(f"report for {the_day} written to {out_path}")
    if not data["new"] and not data["spiking"]:
        seen = f"domains were seen from {first} to {last}" if first else "no domain is stored yet"
        err.print(f"[yellow]nothing new or spiking on {the_day}[/]: {seen}")


def web_world(
    seconds: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: Ctrl-C).")
    ] = None,
) -> None:
    """Run the simulator's fake web on loopback and print the settings that point
    lookups at it (export them, with HARVESTER_DOMAIN_LOOKUPS=true, before `up`)."""
    from harvester.sim.web_world import WebWorld

    try:
        world = WebWorld().start()
    except RuntimeError as exc:
        raise _fail(f"[red]{exc}[/]") from exc
    values = {**world.settings(), "domain_lookups": "true"}
    for key, value in values.items():
        sys.stdout.write(f"export HARVESTER_{key.upper()}={value}\n")
    sys.stdout.flush()
    try:
        deadline = None if seconds is None else monotonic() + seconds
        while deadline is None or monotonic() < deadline:
            time.sleep(0.2)
    except KeyboardInterrupt:
        pass
    finally:
        world.stop()


def register(app: typer.Typer) -> None:
    """Add ``domains``, ``report`` and ``web-world`` to the root app."""
    app.command("domains")(domains)
    app.command("report")(report)
    app.command("web-world")(web_world)
