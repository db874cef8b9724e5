"""``harvester feed misp|stix|txt|csv``: the site domains with their evidence, in the
formats analysts' tools pull (a MISP feed directory, a STIX 2.1 bundle, plain lists).

Reads the database (a read never creates it); shorteners, link-in-bio services, TikTok's
own domains and the allowlist (``HARVESTER_FEED_ALLOWLIST_FILE``) stay out.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from harvester.cli.data_reads import open_database
from harvester.cli.target import Target, err, fail
from harvester.clock import utcnow
from harvester.domains.signals import Signal
from harvester.feeds import FeedMeta, Tlp
from harvester.jobs.functions.feeds import (
    FeedFormat,
    collect,
    render_file,
    site_domain_count,
    write_feed,
)
from harvester.settings import get_settings
from harvester.store.feed_reads import FILTER_SIGNALS, DomainEvidence, FeedFilter

feed_app = typer.Typer(
    help="Write the domains as a MISP feed, a STIX 2.1 bundle or plain lists.",
    no_args_is_help=True,
)

OutOption = Annotated[
    Path,
    typer.Option(
        "--out",
        "-o",
        help="Where to write (misp: a directory; stix/txt/csv: a file, '-' for stdout).",
    ),
]
SinceOption = Annotated[
    str | None, typer.Option(help="Only domains mentioned on/after YYYY-MM-DD (UTC).")
]
MentionsOption = Annotated[int, typer.Option(min=0, help="At least this many mentions.")]
AdvertisersOption = Annotated[int, typer.Option(min=0, help="At least this many advertisers.")]
TlpOption = Annotated[
    Tlp, typer.Option(help="TLP marking: clear, green, amber, amber+strict, red.")
]
SignalOption = Annotated[
    list[str] | None,
    typer.Option(help="Only domains with this signal: young, spiking or pushed (repeatable)."),
]
UrlsOption = Annotated[
    int, typer.Option(min=1, max=100, help="Video URLs and resolved links kept per domain.")
]


def _since(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"[red]--since must be a day as YYYY-MM-DD[/] (got {value!r})", 2) from None


def _signals(values: list[str] | None) -> frozenset[Signal]:
    allowed = {s.value: s for s in FILTER_SIGNALS}
    picked = set()
    for v in values or []:
        if v.strip().lower() not in allowed:
            raise fail(
                f"[red]--signal must be one of {', '.join(allowed)}[/] (got {v!r})",
                2,
            )
        picked.add(allowed[v.strip().lower()])
    return frozenset(picked)


def _export(fmt: FeedFormat, out: Path, feed: FeedFilter, tlp: Tlp) -> None:
    settings = get_settings()
    if str(out) == "-" and fmt is FeedFormat.MISP:
        raise fail("[red]feed misp writes a directory:[/] give --out DIR, not '-'", 2)
    if fmt is FeedFormat.MISP and out.exists() and not out.is_dir():
        raise fail(f"[red]{out} is a file:[/] feed misp writes a directory; pick another --out", 2)
    db = open_database(Target(settings, None))
    try:
        collected = collect(db, settings, feed)
        total = site_domain_count(db, feed.since)
    finally:
        db.dispose()
    meta = FeedMeta(instance=settings.feed_instance, today=feed.today or utcnow().date(), tlp=tlp)
    if str(out) == "-":
        _to_stdout(fmt, collected.records, meta)
        written = len(collected.records)
    else:
        try:
            written = write_feed(fmt, collected.records, meta, out).indicators
        except OSError as exc:
            raise fail(
                f"[red]cannot write {out}:[/] {exc}. Check the path and its rights."
            ) from exc
    err.print(
        f"{fmt.value}: {written} domains → {out} (of {total} site domains; "
        f"{collected.left_out} left out: TikTok's own or allowlisted)",
        highlight=False,
        soft_wrap=True,
    )
    if written == 0:
        err.print("[yellow]no domain matched:[/] loosen the filters or run a cycle first")


def _to_stdout(fmt: FeedFormat, records: list[DomainEvidence], meta: FeedMeta) -> None:
    sys.stdout.buffer.write(render_file(fmt, records, meta))
    sys.stdout.buffer.flush()


def _filter(
    since: str | None, min_mentions: int, min_advertisers: int, signal: list[str] | None, urls: int
) -> FeedFilter:
    return FeedFilter(
        since=_since(since),
        min_mentions=min_mentions,
        min_advertisers=min_advertisers,
        signals=_signals(signal),
        max_urls=urls,
        thresholds=get_settings().thresholds,
        today=utcnow().date(),
    )


def _command(fmt: FeedFormat, doc: str) -> None:
    def command(
        out: OutOption,
        since: SinceOption = None,
        min_mentions: MentionsOption = 0,
        min_advertisers: AdvertisersOption = 0,
        tlp: TlpOption = Tlp.CLEAR,
        signal: SignalOption = None,
        max_urls: UrlsOption = 10,
    ) -> None:
        _export(fmt, out, _filter(since, min_mentions, min_advertisers, signal, max_urls), tlp)

    command.__doc__ = doc
    feed_app.command(fmt.value)(command)


_command(
    FeedFormat.MISP,
    "A MISP feed directory (manifest.json, one event a UTC day, hashes.csv), rewritten "
    "atomically; re-running updates the same events.",
)
_command(FeedFormat.STIX, "A STIX 2.1 bundle: an indicator, observable and sighting a domain.")
_command(FeedFormat.TXT, "One domain a line (IDNA), for blockers and DNS firewalls.")
_command(FeedFormat.CSV, "One row a domain with its numbers, signals and evidence.")


def register(app: typer.Typer) -> None:
    """Add ``feed`` to the root app."""
    app.add_typer(feed_app, name="feed")
