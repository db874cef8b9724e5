from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from harvester.domains.hosts import DomainKind, host_kind
from harvester.domains.signals import DomainFacts, Signal, Thresholds, is_spiking, signals_of

TODAY = date(2026, 12, 1)
NOON = datetime(2026, 12, 1, 12, tzinfo=UTC)


def _facts(**kw: object) -> DomainFacts:
    base: dict[str, object] = {
        "first_seen_at": NOON - timedelta(days=40),
        "videos": 1,
        "advertisers": 1,
        "mentions_today": 0,
        "trailing_week": 0,
        "registered_at": None,
        "is_shortener": False,
        "blocklisted": False,
    }
    return DomainFacts(**{**base, **kw})  # type: ignore[arg-type]


def test_a_quiet_old_domain_has_no_signal() -> None:
    assert signals_of(_facts(registered_at=NOON - timedelta(days=3000)), TODAY) == []


def test_each_signal_on_its_own() -> None:
    assert signals_of(_facts(registered_at=NOON - timedelta(days=29)), TODAY) == [Signal.YOUNG]
    assert signals_of(_facts(registered_at=NOON - timedelta(days=30)), TODAY) == []
    assert signals_of(_facts(advertisers=3), TODAY) == [Signal.PUSHED]
    assert signals_of(_facts(videos=5), TODAY) == [Signal.PUSHED]
    assert signals_of(_facts(first_seen_at=NOON), TODAY) == [Signal.NEW_TODAY]
    assert signals_of(_facts(mentions_today=5), TODAY) == [Signal.SPIKING]
    assert signals_of(_facts(is_shortener=True), TODAY) == [Signal.SHORTENER]
    assert signals_of(_facts(blocklisted=True), TODAY) == [Signal.BLOCKLISTED]


def test_spiking_compares_today_with_the_trailing_week() -> None:
    t = Thresholds(spike_min_mentions=5, spike_factor=3.0)
    assert is_spiking(6, 14, t)  # mean 2/day, 6 >= 3 x 2
    assert not is_spiking(5, 14, t)
    assert not is_spiking(4, 0, t)  # below the floor, however quiet the week was
    assert is_spiking(30, 70, t) and not is_spiking(29, 70, t)


def test_thresholds_come_from_settings() -> None:
    strict = Thresholds(young_days=7, pushed_advertisers=10)
    f = _facts(registered_at=NOON - timedelta(days=10), advertisers=5)
    assert signals_of(f, TODAY) == [Signal.YOUNG, Signal.PUSHED]
    assert signals_of(f, TODAY, strict) == []


def test_shorteners_and_link_in_bio_hosts_are_marked() -> None:
    assert host_kind("bit.ly") is DomainKind.SHORTENER
    assert host_kind("linktr.ee") is DomainKind.LINK_IN_BIO
    assert host_kind("glow.shop") is DomainKind.SITE
    assert host_kind("go.example", frozenset({"go.example"})) is DomainKind.SHORTENER
