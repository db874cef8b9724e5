"""publish-feeds: rewrites the feed files (MISP, STIX, txt, csv) under the data dir after
each cycle — a cron five minutes after each discovery, and on ``harvester/feeds.requested``
— so that a pull at /feeds/… reads a file and never waits on a query.

Also the one place that turns store reads into feed files, which ``harvester feed``
and the web routes reuse: read the site domains with their evidence, drop what the
exclusions say (shorteners, TikTok's own domains, the allowlist), build, write atomically.
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import inngest

from harvester.feeds import Exclusions, FeedMeta, Tlp, parse_allowlist
from harvester.feeds.files import write_atomic, write_dir
from harvester.feeds.lists import build_csv, build_txt
from harvester.feeds.stix import build_bundle, bundle_bytes
from harvester.jobs.deps import JobDeps
from harvester.jobs.steps import RunScope
from harvester.settings import Settings
from harvester.store import Database
from harvester.store.feed_reads import DomainEvidence, FeedFilter, count_site_domains, iter_evidence
from harvester.store.states import JobState

FN_ID = "publish-feeds"
FEEDS_REQUESTED = "harvester/feeds.requested"
# An event file of the MISP feed (a uuid): the only files a rewrite deletes.
EVENT_FILE_GLOB = "????????-????-????-????-????????????.json"


class FeedFormat(enum.StrEnum):
    MISP = "misp"
    STIX = "stix"
    TXT = "txt"
    CSV = "csv"


# Where the published feeds live under ``<data dir>/feeds`` (and are served from).
PUBLISHED: dict[FeedFormat, str] = {
    FeedFormat.MISP: "misp",
    FeedFormat.STIX: "stix/bundle.json",
    FeedFormat.TXT: "domains.txt",
    FeedFormat.CSV: "domains.csv",
}


@dataclass(frozen=True)
class Collected:
    """The domains a feed holds, and how many site domains the exclusions kept out."""

    records: list[DomainEvidence]
    left_out: int


@dataclass(frozen=True)
class Written:
    """What one feed write did."""

    path: Path
    indicators: int
    changed: int  # files created, replaced or deleted


def feeds_dir(settings: Settings) -> Path:
    """Where the published feeds are written and served from."""
    return settings.data_dir / "feeds"


@lru_cache(maxsize=4)
def _allowlist(path: Path, mtime_ns: int, size: int) -> frozenset[str]:
    """An allowlist file, parsed once per version (a Tranco list holds a million names)."""
    return parse_allowlist(path.read_text(encoding="utf-8", errors="replace"))


def exclusions(settings: Settings) -> Exclusions:
    """The exclusions of ``settings``: the platform's domains and the allowlist file."""
    path = settings.feed_allowlist_file
    if path is None:
        return Exclusions()
    stat = path.stat()
    return Exclusions(allowlist=_allowlist(path, stat.st_mtime_ns, stat.st_size))


def collect(db: Database, settings: Settings, feed: FeedFilter) -> Collected:
    """The site domains of ``feed`` with their evidence, less the excluded ones."""
    with db.session() as s:
        kept, left_out = exclusions(settings).keep(iter_evidence(s, feed))
    return Collected(records=kept, left_out=left_out)


def site_domain_count(db: Database, since: date | None = None) -> int:
    """How many site domains the store holds (the feeds' coverage is measured on it)."""
    with db.session() as s:
        return count_site_domains(s, since)


def render_file(fmt: FeedFormat, records: list[DomainEvidence], meta: FeedMeta) -> bytes:
    """The one file of a STIX, txt or csv feed."""
    if fmt is FeedFormat.STIX:
        return bundle_bytes(build_bundle(records, meta))
    if fmt is FeedFormat.TXT:
        return build_txt(records)
    if fmt is FeedFormat.CSV:
        return build_csv(records)
    raise ValueError(f"{fmt} is a directory of files, not one file")


def write_feed(
    fmt: FeedFormat, records: list[DomainEvidence], meta: FeedMeta, out: Path
) -> Written:
    """Build ``fmt`` from ``records`` and write it to ``out`` (a directory for MISP)."""
    if fmt is FeedFormat.MISP:
        from harvester.feeds.misp import MANIFEST, build_misp  # pymisp: ~1 s to import

        misp = build_misp(records, meta)
        changed = write_dir(out, misp.files(), MANIFEST, EVENT_FILE_GLOB)
        return Written(out, misp.attribute_count, changed)
    content = render_file(fmt, records, meta)
    return Written(out, len({d.ascii_name for d in records}), int(write_atomic(out, content)))


def publish(db: Database, settings: Settings, today: date) -> dict[str, int]:
    """Rewrite every published feed (all site domains, the settings' TLP)."""
    collected = collect(db, settings, FeedFilter(thresholds=settings.thresholds, today=today))
    meta = FeedMeta(instance=settings.feed_instance, today=today, tlp=Tlp(settings.feed_tlp))
    root = feeds_dir(settings)
    out = {"indicators": len(collected.records), "left_out": collected.left_out, "changed": 0}
    for fmt, where in PUBLISHED.items():
        out["changed"] += write_feed(fmt, collected.records, meta, root / where).changed
    return out


def build(client: inngest.Inngest, deps: JobDeps) -> inngest.Function[Any]:
    @client.create_function(
        fn_id=FN_ID,
        name="Publish the feeds (MISP, STIX, lists)",
        retries=2,
        concurrency=[inngest.Concurrency(limit=1)],
        trigger=[
            inngest.TriggerCron(cron="5-59/10 * * * *"),  # five minutes after each discovery
            inngest.TriggerEvent(event=FEEDS_REQUESTED),
        ],
    )
    async def publish_feeds(ctx: inngest.Context) -> dict[str, int]:
        run = RunScope(deps, ctx, FN_ID)
        now: datetime = deps.clock()

        async def write() -> dict[str, int]:
            # A feed of 100k domains takes seconds: off the event loop the engine runs on.
            return await asyncio.to_thread(publish, deps.db, deps.settings, now.date())

        out: dict[str, int] = await run.step("write-feeds", write)
        run.track("done", JobState.COMPLETED, dict(out))
        return out

    return publish_feeds
