"""Plain lists, what never becomes an indicator (shorteners, TikTok's own domains, the
allowlist), the confidence rule and atomic feed writes."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from harvester.feeds import Exclusions, parse_allowlist
from harvester.feeds.files import write_atomic, write_dir
from harvester.feeds.lists import CSV_COLUMNS, build_csv, build_txt
from harvester.feeds.meta import confidence
from harvester.jobs.functions.feeds import EVENT_FILE_GLOB

from .records import evidence, sample


def test_txt_is_one_ascii_domain_a_line_sorted_and_unique() -> None:
    text = build_txt([*sample(), evidence("older.example")]).decode()
    assert text == "older.example\nshop-deals.example\nxn--bcher-kva.example\n"


def test_csv_has_the_signals_and_evidence() -> None:
    rows = list(csv.DictReader(io.StringIO(build_csv(sample()).decode())))
    assert tuple(rows[0]) == CSV_COLUMNS
    shop = next(r for r in rows if r["domain"] == "shop-deals.example")
    assert shop["signals"] == "young pushed" and shop["confidence"] == "70"
    assert shop["mentions"] == "3" and shop["first_seen"] == "2026-11-30T12:00:05.000Z"
    assert shop["resolved_links"] == "https://bit.ly/abc>https://shop-deals.example/p"
    idn = next(r for r in rows if r["domain"] == "xn--bcher-kva.example")
    assert idn["unicode"] == "bücher.example"


def test_allowlist_reads_plain_lines_and_tranco_rank_domain_rows() -> None:
    plain = parse_allowlist("# ours\nGoogle.com\n\nshop.example.  # trailing dot\n")
    assert plain == {"google.com", "shop.example"}
    tranco = parse_allowlist("rank,domain\n1,google.com\n2,facebook.com\n")
    assert tranco == {"google.com", "facebook.com"}


def test_shorteners_tiktok_and_allowlisted_domains_stay_out() -> None:
    rules = Exclusions(allowlist=frozenset({"known.example"}))
    cases = {
        "bit.ly": evidence("bit.ly", kind="shortener"),
        "linktr.ee stored as a site": evidence("linktr.ee"),  # the lists grew since
        "tiktok.com": evidence("tiktok.com"),
        "a TikTok subdomain": evidence("ads.tiktok.com"),
        "allowlisted": evidence("known.example"),
        "an allowlisted site's subdomain": evidence("shop.known.example"),
    }
    reasons = {label: rules.reason(d) for label, d in cases.items()}
    assert reasons == {
        "bit.ly": "shortener or link-in-bio service",
        "linktr.ee stored as a site": "shortener or link-in-bio service",
        "tiktok.com": "TikTok's own domain",
        "a TikTok subdomain": "TikTok's own domain",
        "allowlisted": "allowlisted",
        "an allowlisted site's subdomain": "allowlisted",
    }
    kept, left_out = rules.keep([*cases.values(), *sample()])
    assert [d.name for d in kept] == [d.name for d in sample()] and left_out == len(cases)


def test_confidence_grows_with_each_signal_and_stops_at_100() -> None:
    assert confidence([]) == 30
    assert confidence(["young"]) == 50
    assert confidence(["young", "pushed", "spiking", "blocklisted", "new_today"]) == 100


def test_an_unchanged_file_is_left_alone_and_stale_events_go(tmp_path: Path) -> None:
    target = tmp_path / "feed.txt"
    assert write_atomic(target, b"a\n") is True
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    assert write_atomic(target, b"a\n") is False
    assert target.stat().st_mtime_ns == 1_000_000_000  # Last-Modified stays
    assert write_atomic(target, b"b\n") is True and target.read_bytes() == b"b\n"
    folder = tmp_path / "misp"
    old_event = "00000000-0000-4000-8000-000000000000.json"
    write_dir(folder, {old_event: b"{}", "manifest.json": b"{}"}, "manifest.json", EVENT_FILE_GLOB)
    (folder / "notes.json").write_text("{}")  # someone else's file in the folder
    new_event = "11111111-1111-4111-8111-111111111111.json"
    changed = write_dir(
        folder, {new_event: b"{}", "manifest.json": b"{}"}, "manifest.json", EVENT_FILE_GLOB
    )
    assert changed == 2  # the new event written, the old one deleted; manifest unchanged
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [new_event, "manifest.json", "notes.json"]
    )
