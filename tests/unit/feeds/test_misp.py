"""The MISP feed round-trips through pymisp: manifest, one event a day, hashes.csv; its
ids are stable, so a re-export updates the same events and attributes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from pymisp import MISPEvent

from harvester.feeds import FeedMeta, Tlp
from harvester.feeds.files import write_dir
from harvester.feeds.misp import MANIFEST, build_misp, event_uuid
from harvester.jobs.functions.feeds import EVENT_FILE_GLOB

from .records import DAY, META, NOON, evidence, sample


def _write(tmp_path: Path, records: list, meta: FeedMeta = META) -> Path:  # type: ignore[type-arg]
    out = tmp_path / "misp"
    write_dir(out, build_misp(records, meta).files(), MANIFEST, EVENT_FILE_GLOB)
    return out


def test_the_feed_loads_in_pymisp_with_every_domain_and_hash(tmp_path: Path) -> None:
    out = _write(tmp_path, sample())
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest) == {event_uuid(DAY, META), event_uuid(DAY - timedelta(1), META)}
    values: dict[str, str] = {}
    for uuid, summary in manifest.items():
        assert {"info", "Orgc", "Tag", "date", "analysis", "threat_level_id", "timestamp"} <= set(
            summary
        )
        event = MISPEvent()
        event.load_file(str(out / f"{uuid}.json"))
        assert event.uuid == uuid and event.info == summary["info"]
        assert event.tags[0].name == "tlp:clear"
        for a in event.attributes:
            assert (a.type, a.category) == ("domain", "Network activity")
            assert a.first_seen is not None and a.last_seen is not None and a.comment
            values[a.value] = uuid
    assert sorted(values) == ["older.example", "shop-deals.example", "xn--bcher-kva.example"]
    hashes = (out / "hashes.csv").read_text().splitlines()
    assert sorted(hashes) == sorted(
        f"{hashlib.md5(v.encode()).hexdigest()},{u}" for v, u in values.items()
    )


def test_one_event_a_day_holds_each_domain_once(tmp_path: Path) -> None:
    twice = [*sample(), evidence("shop-deals.example", mention_count=99)]
    feed = build_misp(twice, META)
    today = feed.events[event_uuid(DAY, META)]["Event"]
    assert sorted(a["value"] for a in today["Attribute"]) == [
        "shop-deals.example",
        "xn--bcher-kva.example",
    ]
    assert feed.attribute_count == 3
    assert today["analysis"] == "1"  # today's event is still growing
    assert feed.events[event_uuid(DAY - timedelta(1), META)]["Event"]["analysis"] == "2"


def test_evidence_and_signals_travel_in_comment_tags_and_to_ids() -> None:
    feed = build_misp(sample(), META)
    attrs = {a["value"]: a for e in feed.events.values() for a in e["Event"].get("Attribute", [])}
    shop = attrs["shop-deals.example"]
    assert shop["to_ids"] is True
    assert "https://www.tiktok.com/@brand/video/7301" in shop["comment"]
    assert "https://bit.ly/abc -> https://shop-deals.example/p" in shop["comment"]
    assert {t["name"] for t in shop["Tag"]} == {
        'harvester:signal="young"',
        'harvester:signal="pushed"',
    }
    assert attrs["xn--bcher-kva.example"]["to_ids"] is False  # no signal: context only
    assert "written bücher.example" in attrs["xn--bcher-kva.example"]["comment"]


def test_the_same_records_give_the_same_bytes_and_a_new_sighting_updates_in_place() -> None:
    first = build_misp(sample(), META).files()
    assert build_misp(sample(), META).files() == first
    later = [
        replace(r, last_seen_at=r.last_seen_at + timedelta(hours=2), mention_count=20)
        if r.name == "shop-deals.example"
        else r
        for r in sample()
    ]
    again = build_misp(later, META)
    assert set(again.files()) == set(first)  # same event files: updated, not duplicated
    before = json.loads(first[f"{event_uuid(DAY, META)}.json"])["Event"]
    after = again.events[event_uuid(DAY, META)]["Event"]
    assert {a["uuid"] for a in after["Attribute"]} == {a["uuid"] for a in before["Attribute"]}
    assert int(after["timestamp"]) == int(before["timestamp"]) + 2 * 3600
    assert int(after["timestamp"]) == int((NOON + timedelta(hours=2, minutes=5)).timestamp())


def test_another_instance_and_tlp_give_other_ids_and_tags() -> None:
    other = FeedMeta(instance="elsewhere", today=DAY, tlp=Tlp.AMBER_STRICT)
    feed = build_misp(sample(), other)
    assert event_uuid(DAY, other) != event_uuid(DAY, META)
    tags = [t["name"] for t in feed.manifest[event_uuid(DAY, other)]["Tag"]]
    assert tags[0] == "tlp:amber+strict"
