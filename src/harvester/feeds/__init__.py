"""The harvester's results in the formats analysts' tools pull: a MISP feed directory,
a STIX 2.1 bundle, and plain lists for blockers and DNS firewalls.

Pure builders over ``store.feed_reads.DomainEvidence`` records: no database, no clock
(the day and the instance come in ``FeedMeta``), so the same records give the same bytes.
``files`` writes a feed atomically. pymisp loads in ~1 s: import ``feeds.misp`` on use.
"""

from __future__ import annotations

from harvester.feeds.exclusions import Exclusions, parse_allowlist
from harvester.feeds.meta import FeedMeta, Tlp

__all__ = ["Exclusions", "FeedMeta", "Tlp", "parse_allowlist"]
