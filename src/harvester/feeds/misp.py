"""The MISP feed: what MISP's "Feeds" (and OpenCTI's MISP-feed connector) pull.

A directory of ``manifest.json`` (event uuid → its summary), one ``<uuid>.json`` per
event (``MISPEvent.to_feed()``) and ``hashes.csv`` (``md5(value),event uuid`` a line).
One event per UTC day holds the domains first seen that day, each once; its uuid comes
from the day and the instance, so a re-export updates the event instead of adding one.
Every timestamp comes from the data (never pymisp's wall-clock defaults), so the same
records give the same bytes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from pymisp import MISPAttribute, MISPEvent, MISPOrganisation

from harvester.feeds.meta import FeedMeta, Tlp, comment, is_ids
from harvester.store.feed_reads import DomainEvidence

MANIFEST = "manifest.json"
HASHES = "hashes.csv"
CATEGORY = "Network activity"
THREAT_LEVEL_LOW = 3
ANALYSIS_ONGOING, ANALYSIS_COMPLETED = 1, 2
FEED_TAG = 'harvester:feed="tiktok-promoted-domains"'


@dataclass(frozen=True)
class MispFeed:
    """A MISP feed in memory: events by uuid, the manifest, the hash lines."""

    events: dict[str, dict[str, Any]]
    manifest: dict[str, dict[str, Any]]
    hashes: list[str]

    def files(self) -> dict[str, bytes]:
        """File name → content, as the feed directory holds them."""
        out = {f"{uuid}.json": _json(body) for uuid, body in self.events.items()}
        out[HASHES] = "".join(f"{h}\n" for h in self.hashes).encode()
        out[MANIFEST] = _json(self.manifest)
        return out

    @property
    def attribute_count(self) -> int:
        return sum(len(e["Event"].get("Attribute", [])) for e in self.events.values())


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1).encode()


def tlp_tag(tlp: Tlp) -> str:
    """MISP's TLP 2.0 taxonomy tag."""
    return f"tlp:{tlp.value}"


def build_misp(records: Iterable[DomainEvidence], meta: FeedMeta) -> MispFeed:
    """The feed of ``records``: one event per UTC day of first sighting."""
    by_day: dict[date, dict[str, DomainEvidence]] = defaultdict(dict)
    for d in records:  # one attribute per domain, however many times it is passed
        by_day[d.first_seen_at.astimezone(UTC).date()].setdefault(d.ascii_name, d)
    events: dict[str, dict[str, Any]] = {}
    manifest: dict[str, dict[str, Any]] = {}
    hashes: list[str] = []
    for day in sorted(by_day):
        event = _event(day, [by_day[day][n] for n in sorted(by_day[day])], meta)
        feed = event.to_feed(with_meta=True)
        body = feed["Event"]
        body.pop("_manifest", None)
        hashes += [f"{h},{event.uuid}" for h in body.pop("_hashes", [])]
        events[event.uuid] = feed
        manifest.update(event.manifest)
    return MispFeed(events=events, manifest=manifest, hashes=hashes)


def event_uuid(day: date, meta: FeedMeta) -> str:
    """The stable uuid of a day's event on this instance."""
    return meta.uuid("misp-event", day.isoformat())


def _org(meta: FeedMeta) -> MISPOrganisation:
    org = MISPOrganisation()
    org.name = meta.producer
    org.uuid = meta.uuid("misp-org")
    return org


def _event(day: date, domains: list[DomainEvidence], meta: FeedMeta) -> MISPEvent:
    event = MISPEvent()
    event.uuid = event_uuid(day, meta)
    event.info = f"Domains pushed in promoted TikTok videos' comments, first seen {day} UTC"
    event.Orgc = _org(meta)
    event.set_date(day)
    event.threat_level_id = THREAT_LEVEL_LOW
    event.analysis = ANALYSIS_COMPLETED if day < meta.today else ANALYSIS_ONGOING
    event.add_tag(tlp_tag(meta.tlp))
    event.add_tag(FEED_TAG)
    for d in domains:
        _add_attribute(event, d, meta, day)
    # The event changes when a domain of it is seen again: its timestamp says so.
    latest = max((_epoch(d.last_seen_at) for d in domains), default=_epoch(_midnight(day)))
    event.timestamp = max(latest, _epoch(_midnight(day)))
    event.publish_timestamp = event.timestamp
    event.published = True
    return event


def _add_attribute(event: MISPEvent, d: DomainEvidence, meta: FeedMeta, day: date) -> None:
    seen_last = max(d.last_seen_at, d.first_seen_at)
    attribute = event.add_attribute(
        "domain",
        d.ascii_name,
        category=CATEGORY,
        uuid=meta.uuid("misp-attribute", day.isoformat(), d.ascii_name),
        to_ids=is_ids(d.signals),
        comment=comment(d),
        first_seen=d.first_seen_at,
        last_seen=seen_last,
        timestamp=_epoch(seen_last),
        disable_correlation=False,
    )
    assert isinstance(attribute, MISPAttribute)  # one value, one attribute
    for s in d.signals:
        attribute.add_tag(f'harvester:signal="{s}"')


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())
