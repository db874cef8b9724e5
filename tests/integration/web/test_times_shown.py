"""Every time on the pages says its zone (UTC) and carries a machine-readable instant
for the local-time tooltip."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from harvester.web.dashboard.render import ts

WHEN = datetime(2026, 12, 7, 21, 5, 9, tzinfo=UTC)
TAG = '<time datetime="2026-12-07T21:05:09Z" title="UTC">2026-12-07 21:05:09 UTC</time>'


def test_every_form_of_a_time_is_shown_in_utc_with_its_zone() -> None:
    paris = timezone(timedelta(hours=1))
    for value in (
        WHEN,
        WHEN.timestamp(),
        int(WHEN.timestamp()),
        WHEN.astimezone(paris),
        WHEN.replace(tzinfo=None),  # naive values in the store are UTC
        "2026-12-07T21:05:09+00:00",
        "2026-12-07T22:05:09+01:00",
    ):
        assert str(ts(value)) == TAG, value


def test_what_is_no_time_is_shown_escaped_and_none_as_a_dash() -> None:
    assert str(ts(None)) == "—"
    assert str(ts("<b>soon</b>")) == "&lt;b&gt;soon&lt;/b&gt;"
