"""The STIX 2.1 bundle: per domain an ``indicator`` (``[domain-name:value = '…']``), the
``domain-name`` observable, the ``observed-data`` counting its mentions and a
``sighting`` of the indicator by the harvester (its ``identity``), under a TLP marking.

Written as plain JSON (building stix2 objects costs 1.6 ms a domain, its pattern
parser); the tests parse the bundle with stix2 and check it with stix2-validator. Ids are
uuid5 of the instance and the domain, so a re-export updates the same objects; the SCO's
id follows the spec's own rule (uuid5 of its ``value``), as every producer's does.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from harvester.feeds.meta import FeedMeta, Tlp, comment, confidence
from harvester.store.feed_reads import DomainEvidence

# STIX 2.1 §2.9: the namespace of deterministic SCO ids.
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")
# The TLP marking definitions the STIX 2.1 specification defines (§7.2.1.4): TLP 1.0,
# so TLP:CLEAR is published as WHITE and AMBER+STRICT as AMBER (the MISP feed's tags
# keep the 2.0 names).
TLP_MARKINGS: dict[str, tuple[str, str]] = {
    "white": ("613f2e26-407d-48c7-9eca-b8e91df99dc9", "TLP:WHITE"),
    "green": ("34098fce-860f-48ae-8e50-ebd3cc5e41da", "TLP:GREEN"),
    "amber": ("f88d31f6-486f-44da-b317-01333bde0b82", "TLP:AMBER"),
    "red": ("5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "TLP:RED"),
}
TLP1 = {
    Tlp.CLEAR: "white",
    Tlp.GREEN: "green",
    Tlp.AMBER: "amber",
    Tlp.AMBER_STRICT: "amber",
    Tlp.RED: "red",
}
TLP_CREATED = "2017-01-20T00:00:00.000Z"
# The producer's identity exists from the project's first feed on (fixed: same bytes).
IDENTITY_CREATED = "2026-01-01T00:00:00.000Z"
MEDIA_TYPE = "application/stix+json;version=2.1"


def stamp(moment: datetime) -> str:
    """A STIX timestamp: UTC, milliseconds, ``Z``."""
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def tlp_marking(tlp: Tlp) -> dict[str, Any]:
    """The specification's marking definition of ``tlp``."""
    color = TLP1[tlp]
    marking_id, name = TLP_MARKINGS[color]
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": f"marking-definition--{marking_id}",
        "created": TLP_CREATED,
        "definition_type": "tlp",
        "name": name,
        "definition": {"tlp": color},
    }


def identity(meta: FeedMeta) -> dict[str, Any]:
    """The harvester as a producer and as the place indicators were sighted."""
    return {
        "type": "identity",
        "spec_version": "2.1",
        "id": f"identity--{meta.uuid('stix-identity')}",
        "created": IDENTITY_CREATED,
        "modified": IDENTITY_CREATED,
        "name": meta.producer,
        "description": "Finds web domains pushed in the comments of promoted TikTok videos.",
        "identity_class": "system",
    }


def domain_name_id(value: str) -> str:
    """The deterministic id of a ``domain-name`` SCO (uuid5 of its canonical JSON)."""
    canonical = json.dumps({"value": value}, ensure_ascii=False, separators=(",", ":"))
    return f"domain-name--{uuid.uuid5(SCO_NAMESPACE, canonical)}"


def pattern(value: str) -> str:
    """The STIX pattern matching one domain name (quotes and backslashes escaped)."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"[domain-name:value = '{escaped}']"


def _common(kind: str, object_id: str, d: DomainEvidence, who: str, marking: str) -> dict[str, Any]:
    first, last = d.first_seen_at, max(d.last_seen_at, d.first_seen_at)
    return {
        "type": kind,
        "spec_version": "2.1",
        "id": f"{kind}--{object_id}",
        "created_by_ref": who,
        "created": stamp(first),
        "modified": stamp(last),
        "object_marking_refs": [marking],
    }


def _references(d: DomainEvidence) -> list[dict[str, str]]:
    refs = [
        {
            "source_name": "tiktok",
            "url": url,
            "description": "promoted video whose comments mention the domain",
        }
        for url in d.video_urls
    ]
    refs += [
        {"source_name": "resolved-link", "url": r.url, "description": f"leads to {r.final_url}"}
        for r in d.resolved_links
    ]
    return refs


def domain_objects(d: DomainEvidence, meta: FeedMeta, who: str, marking: str) -> list[Any]:
    """The indicator, observable, observed-data and sighting of one domain."""
    value = d.ascii_name
    first, last = stamp(d.first_seen_at), stamp(max(d.last_seen_at, d.first_seen_at))
    blocklisted = "blocklisted" in d.signals
    indicator = _common("indicator", meta.uuid("stix-indicator", value), d, who, marking)
    indicator.update(
        name=value,
        description=comment(d),
        indicator_types=["anomalous-activity", *(["malicious-activity"] if blocklisted else [])],
        pattern=pattern(value),
        pattern_type="stix",
        pattern_version="2.1",
        valid_from=first,
        confidence=confidence(d.signals),
    )
    if d.signals:
        indicator["labels"] = list(d.signals)
    refs = _references(d)
    if refs:
        indicator["external_references"] = refs
    observable = {"type": "domain-name", "spec_version": "2.1", "id": domain_name_id(value)}
    observable["value"] = value
    observed = _common("observed-data", meta.uuid("stix-observed", value), d, who, marking)
    observed.update(
        first_observed=first,
        last_observed=last,
        number_observed=max(1, min(d.mention_count, 999_999_999)),
        object_refs=[observable["id"]],
    )
    sighting = _common("sighting", meta.uuid("stix-sighting", value), d, who, marking)
    sighting.update(
        description=f"mentioned in comments of promoted TikTok videos ({d.mention_count} times)",
        sighting_of_ref=indicator["id"],
        count=max(0, min(d.mention_count, 999_999_999)),
        first_seen=first,
        last_seen=last,
        where_sighted_refs=[who],
        observed_data_refs=[observed["id"]],
    )
    return [indicator, observable, observed, sighting]


def build_bundle(records: Iterable[DomainEvidence], meta: FeedMeta) -> dict[str, Any]:
    """The bundle of ``records`` (each domain once, in name order)."""
    producer = identity(meta)
    marking = tlp_marking(meta.tlp)
    unique = {d.ascii_name: d for d in records}
    objects: list[Any] = [producer, marking]
    for name in sorted(unique):
        objects += domain_objects(unique[name], meta, producer["id"], marking["id"])
    # Same content, same bundle id: a pull can tell nothing changed.
    digest = hashlib.sha256(json.dumps(objects, sort_keys=True).encode()).hexdigest()
    bundle_id = f"bundle--{meta.uuid('stix-bundle', digest)}"
    return {"type": "bundle", "id": bundle_id, "objects": objects}


def bundle_bytes(bundle: dict[str, Any]) -> bytes:
    """The bundle as the file holds it."""
    return json.dumps(bundle, ensure_ascii=False, indent=1).encode()
