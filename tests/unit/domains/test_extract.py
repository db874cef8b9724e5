from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harvester.domains import DEFAULT_BLOCKLIST, extract, normalize_domain
from harvester.domains.normalize import parse_host

from .cases import all_cases

CASES = all_cases()


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 200


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_extracts_expected_domains(text: str, expected: set[str]) -> None:
    assert {d.domain for d in extract(text).domains} == expected


def test_evidence_of_a_url() -> None:
    (d,) = extract("see https://shop.example.co.uk:8080/a?b=1).").domains
    assert (d.domain, d.host) == ("example.co.uk", "shop.example.co.uk")
    assert d.url == "https://shop.example.co.uk:8080/a?b=1"
    assert not d.obfuscated and not d.email and d.confidence > 0.95


def test_obfuscated_and_email_flags() -> None:
    (o,) = extract("example dot com").domains
    assert o.obfuscated and o.matched == "example dot com"
    # Issue 29: an address gives no domain; it is reported apart, as filtered.
    res = extract("write to bob@gmail.com")
    assert res.domains == ()
    (e,) = res.filtered
    assert e.email and e.domain == "gmail.com" and e.reason == "email"
    assert extract("write to bob@gmail.com", include_emails=False).filtered == ()


def test_idn_has_unicode_and_ascii_forms() -> None:
    (d,) = extract("xn--bcher-kva.de").domains
    assert d.domain == "bücher.de" and d.ascii_domain == "xn--bcher-kva.de"


def test_blocklisted_domains_are_reported_not_dropped() -> None:
    res = extract("https://vm.tiktok.com/abc and shop.com")
    assert [d.domain for d in res.domains] == ["shop.com"]
    assert [(d.domain, d.reason) for d in res.filtered] == [("tiktok.com", "blocklisted")]
    custom = extract("shop.com", blocklist=frozenset({"shop.com"}))
    assert custom.domains == () and custom.filtered[0].domain == "shop.com"
    assert "tiktok.com" in DEFAULT_BLOCKLIST


def test_normalize_domain() -> None:
    assert normalize_domain("Shop.Example.CO.UK") == "example.co.uk"
    assert normalize_domain("not a domain") is None
    assert normalize_domain("foo.invalidtld") is None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_never_raises_and_spans_point_at_the_match(text: str) -> None:
    res = extract(text)
    for d in (*res.domains, *res.filtered):
        assert text[d.start : d.end] == d.matched
        assert parse_host(d.domain) is not None  # a real public suffix


@settings(max_examples=300, deadline=None)
@given(
    st.from_regex(r"[a-z0-9-]{1,12}(\.[a-z0-9-]{1,12}){0,2}\.(com|de|co\.uk|рф|io)", fullmatch=True)
)
def test_normalize_is_idempotent(host: str) -> None:
    once = normalize_domain(host)
    if once is not None:
        assert normalize_domain(once) == once


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=80))
def test_idempotent_on_own_output(text: str) -> None:
    for d in extract(text).domains:
        assert normalize_domain(d.domain) == d.domain


def test_matches_are_plain_frozen_dataclasses() -> None:
    import dataclasses

    (d,) = extract("see https://shop.example.com/x").domains
    fields = {f.name: getattr(d, f.name) for f in dataclasses.fields(d)}
    assert dataclasses.replace(d) == d and hash(dataclasses.replace(d)) == hash(d)
    assert type(d)(**fields) == d
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.domain = "other.com"  # type: ignore[misc]
