"""What every feed format shares: the TLP marking, the producer, the stable ids and the
one confidence rule."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from harvester.domains.signals import Signal
from harvester.store.feed_reads import DomainEvidence

# Fixed once: every id the feeds derive (uuid5) hangs off it, so ids survive re-exports.
FEED_NAMESPACE = uuid.UUID("1e1362d6-96da-4eac-8ce9-9dfd862f1e6c")
PRODUCER = "TikTok Domain Harvester"

# Confidence (0-100) that a domain deserves an analyst's attention: it was pushed in the
# comments of promoted videos (the base); each signal adds to it.
BASE_CONFIDENCE = 30
SIGNAL_CONFIDENCE = {
    Signal.YOUNG: 20,
    Signal.PUSHED: 20,
    Signal.SPIKING: 15,
    Signal.BLOCKLISTED: 30,
}
# Signals that make a MISP attribute an IDS indicator (to_ids): the rest are context.
IDS_SIGNALS = frozenset({Signal.YOUNG, Signal.PUSHED, Signal.SPIKING, Signal.BLOCKLISTED})


class Tlp(enum.StrEnum):
    """Traffic Light Protocol 2.0 levels."""

    CLEAR = "clear"
    GREEN = "green"
    AMBER = "amber"
    AMBER_STRICT = "amber+strict"
    RED = "red"


@dataclass(frozen=True)
class FeedMeta:
    """Who publishes a feed, under which marking, on which UTC day."""

    instance: str
    today: date
    tlp: Tlp = Tlp.CLEAR

    @property
    def producer(self) -> str:
        return f"{PRODUCER} ({self.instance})"

    def uuid(self, *parts: str) -> str:
        """A stable uuid5 of this instance and ``parts`` (same inputs, same id)."""
        return str(uuid.uuid5(FEED_NAMESPACE, "\x1f".join((self.instance, *parts))))


def confidence(signals: Iterable[str]) -> int:
    """The one confidence rule of every format (0-100)."""
    score = BASE_CONFIDENCE + sum(SIGNAL_CONFIDENCE.get(Signal(s), 0) for s in set(signals))
    return min(100, score)


def is_ids(signals: Iterable[str]) -> bool:
    """Whether a domain with ``signals`` is worth alerting on (MISP ``to_ids``)."""
    return any(Signal(s) in IDS_SIGNALS for s in signals)


def comment(d: DomainEvidence) -> str:
    """The evidence of a domain in one line of text (MISP's ``comment``)."""
    parts = [
        f"{d.mention_count} mentions in comments on {d.video_count} promoted TikTok videos "
        f"of {d.advertiser_count} advertisers"
    ]
    if d.name != d.ascii_name:
        parts.append(f"written {d.name}")
    if d.video_urls:
        parts.append("videos: " + " ".join(d.video_urls))
    if d.resolved_links:
        parts.append("via: " + " ".join(f"{r.url} -> {r.final_url}" for r in d.resolved_links))
    return "; ".join(parts)
