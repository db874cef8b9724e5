"""The events page tells the truth: the id it flashes is the one in the list, an event
no function takes says so, batched events name their run, and a payload that does not
fit one of our events is refused before it is sent."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Served, shot

pytestmark = pytest.mark.browser


def _send(page: Any, served: Served, name: str, data: str) -> None:
    page.goto(served.url + "/events")
    page.locator("#send-box summary").click()
    page.fill("input[name=name]", name)
    page.fill("textarea[name=data]", data)
    page.click("#send-button")


def test_a_payload_that_does_not_fit_our_event_is_refused(page: Any, served: Served) -> None:
    _send(page, served, "tiktok/comment.harvest.requested", '{"video_id": "does-not-exist"}')
    error = page.locator("#send-error").inner_text()
    assert "does not fit tiktok/comment.harvest.requested" in error and "window" in error
    assert page.locator("#sent").count() == 0
    assert page.locator("textarea[name=data]").input_value() == '{"video_id": "does-not-exist"}'
    shot(page, "event-refused-by-schema")


def test_the_flash_names_the_listed_id_and_says_when_nothing_listens(
    page: Any, served: Served
) -> None:
    _send(page, served, "nobody/listens.here", '{"n": 1}')
    flash = page.locator("#sent").inner_text()
    assert "No function is triggered by nobody/listens.here" in flash
    row = page.locator("#events tr.sent")
    assert row.count() == 1 and "nobody/listens.here" in row.inner_text()
    assert row.locator(".event-id").inner_text() in flash
    shot(page, "event-sent-unheard")


def test_batched_events_name_the_run_that_took_them(page: Any, served: Served) -> None:
    page.goto(served.url + "/events")
    rows = page.locator("#events tr", has_text="tiktok/domain.extract.requested")
    assert rows.count() > 0
    for i in range(rows.count()):
        assert "extract-domains" in rows.nth(i).inner_text(), rows.nth(i).inner_text()
    shot(page, "events-batched")
