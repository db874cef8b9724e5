"""The STIX 2.1 bundle passes stix2-validator and parses in stix2; one sighting per
indicator with the mention count; ids stay the same across exports."""

from __future__ import annotations

import json
from collections import Counter

import stix2
from stix2validator import ValidationOptions, validate_string

from harvester.feeds import FeedMeta, Tlp
from harvester.feeds.stix import build_bundle, bundle_bytes, domain_name_id, pattern

from .records import DAY, META, sample

# Warnings we accept by design: ids are uuid5 (deterministic, so re-exports update the
# same objects; the validator prefers uuid4), and a video URL has no content hash.
ACCEPTED_WARNINGS = {"103", "302"}


def _check(bundle: dict) -> list[str]:  # type: ignore[type-arg]
    """The codes of the validator's warnings (it must find no error)."""
    results = validate_string(bundle_bytes(bundle).decode(), ValidationOptions(version="2.1"))
    assert results.is_valid, [str(e) for e in results.errors]
    return [w.split("{", 1)[1].split("}", 1)[0] for w in results.warnings]


def test_the_bundle_validates_with_no_warning_that_matters() -> None:
    bundle = build_bundle(sample(), META)
    codes = _check(bundle)
    assert codes, "the validator ran and said something"
    assert set(codes) <= ACCEPTED_WARNINGS, codes
    parsed = stix2.parse(bundle_bytes(bundle).decode(), allow_custom=False)
    assert len(parsed.objects) == 2 + 4 * 3  # identity, marking; four objects a domain


def test_one_sighting_per_indicator_counts_the_mentions() -> None:
    objects = build_bundle(sample(), META)["objects"]
    indicators = {o["id"]: o for o in objects if o["type"] == "indicator"}
    sightings = [o for o in objects if o["type"] == "sighting"]
    assert Counter(s["sighting_of_ref"] for s in sightings) == {i: 1 for i in indicators}
    by_name = {indicators[s["sighting_of_ref"]]["name"]: s for s in sightings}
    assert by_name["older.example"]["count"] == 12
    identity = next(o for o in objects if o["type"] == "identity")
    assert all(s["where_sighted_refs"] == [identity["id"]] for s in sightings)
    assert indicators[by_name["older.example"]["sighting_of_ref"]]["indicator_types"] == [
        "anomalous-activity",
        "malicious-activity",  # blocklisted
    ]


def test_patterns_observables_and_evidence() -> None:
    objects = build_bundle(sample(), META)["objects"]
    shop = next(o for o in objects if o.get("name") == "shop-deals.example")
    assert shop["pattern"] == "[domain-name:value = 'shop-deals.example']"
    assert shop["labels"] == ["young", "pushed"] and shop["confidence"] == 70
    assert {r["url"] for r in shop["external_references"]} == {
        "https://www.tiktok.com/@brand/video/7301",
        "https://bit.ly/abc",
    }
    assert (
        domain_name_id("xn--bcher-kva.example")
        == stix2.DomainName(value="xn--bcher-kva.example").id
    )
    assert pattern("it's.example") == "[domain-name:value = 'it\\'s.example']"


def test_ids_are_stable_and_the_marking_follows_the_tlp() -> None:
    first = build_bundle(sample(), META)
    assert build_bundle(sample(), META) == first
    amber = build_bundle(sample(), FeedMeta(instance="test", today=DAY, tlp=Tlp.AMBER))

    def ids(bundle: dict) -> list[str]:  # type: ignore[type-arg]
        return [o["id"] for o in bundle["objects"] if o["type"] != "marking-definition"]

    assert ids(amber) == ids(first)  # a new marking, the same objects
    assert amber["id"] != first["id"]  # another bundle: its content changed
    marking = next(o for o in amber["objects"] if o["type"] == "marking-definition")
    assert marking["name"] == "TLP:AMBER"
    assert json.dumps(amber).count(marking["id"]) == 1 + 3 * 3  # itself + 3 objects a domain
    _check(amber)
