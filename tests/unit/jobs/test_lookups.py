from __future__ import annotations

import pytest
from dnslib import DNSRecord

from harvester.jobs.intel_events import MAX_URLS_PER_EVENT, resolve_events
from harvester.jobs.lookups import LookupBlocked, Lookups, parse_rdap
from harvester.settings import Settings
from harvester.sim.web_world import METADATA_IP, dns_query


@pytest.mark.parametrize(
    "ip",
    [
        "127.0.0.1",
        "10.1.2.3",
        "192.168.0.1",
        "172.16.5.5",
        METADATA_IP,
        "::1",
        "fd00::1",
        "0.0.0.0",
        "100.64.0.1",
        "224.0.0.1",
        "::ffff:127.0.0.1",
    ],
)
def test_the_ssrf_guard_refuses_non_public_addresses(ip: str) -> None:
    with pytest.raises(LookupBlocked):
        Lookups(Settings()).check_address(ip)


def test_public_addresses_pass_and_allowed_networks_open_only_themselves() -> None:
    Lookups(Settings()).check_address("93.184.216.34")
    Lookups(Settings()).check_address("2606:4700::1111")
    loopback_ok = Lookups(Settings(lookup_allow_networks="127.0.0.0/8"))
    loopback_ok.check_address("127.0.0.1")
    with pytest.raises(LookupBlocked):
        loopback_ok.check_address(METADATA_IP)  # the metadata service stays out
    with pytest.raises(ValueError, match="not a CIDR"):
        Settings(lookup_allow_networks="127.0.0.0/8, localhost")


def test_rdap_answer_gives_age_and_registrar() -> None:
    doc = {
        "events": [
            {"eventAction": "expiration", "eventDate": "2030-01-01T00:00:00Z"},
            {"eventAction": "registration", "eventDate": "2026-11-25T10:00:00Z"},
        ],
        "entities": [
            {"roles": ["registrant"], "vcardArray": ["vcard", [["fn", {}, "text", "Someone"]]]},
            {"roles": ["registrar"], "vcardArray": ["vcard", [["fn", {}, "text", "Quick Names"]]]},
        ],
    }
    assert parse_rdap(doc) == {"registered_at": "2026-11-25T10:00:00Z", "registrar": "Quick Names"}
    assert parse_rdap({}) == {"registered_at": None, "registrar": None}


def test_resolve_events_are_per_shortener_host_and_chunked() -> None:
    links = [("bit.ly", f"https://bit.ly/{i}") for i in range(MAX_URLS_PER_EVENT + 1)]
    links += [("glow.shop", "https://glow.shop/x"), ("linktr.ee", "http://linktr.ee/a")]
    links += [("bit.ly", "https://bit.ly/0"), ("tinyurl.com", None)]
    events = resolve_events(links)
    assert [(e.data["host"], len(e.data["urls"])) for e in events] == [
        ("bit.ly", MAX_URLS_PER_EVENT),
        ("bit.ly", 1),
        ("linktr.ee", 1),
    ]


def test_the_world_dns_answers_only_for_planted_names() -> None:
    a = dns_query(DNSRecord.question("bit.ly", "A"))
    assert [str(r.rdata) for r in a.rr] == ["127.0.0.1"]
    assert dns_query(DNSRecord.question("google.com", "A")).header.rcode == 3  # NXDOMAIN
    meta = dns_query(DNSRecord.question("metadata-grab.shop", "A"))
    assert [str(r.rdata) for r in meta.rr] == [METADATA_IP]


def test_port_map_and_its_validation() -> None:
    assert Settings(lookup_ports="http=8081, https=8444").port_map == {"http": 8081, "https": 8444}
    assert Settings().port_map == {}
    with pytest.raises(ValueError, match="HARVESTER_LOOKUP_PORTS"):
        Settings(lookup_ports="ftp=21")
