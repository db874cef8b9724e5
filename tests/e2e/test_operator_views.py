"""What Inngest, Flower and Temporal users look for: the kill switch visible on every
page, recent failures on the overview, events filtered by name, a function's config
in words, and a run timeline whose labels all fit."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from harvester.jobs.events import HARVEST_REQUESTED

from .conftest import Served, shot

pytestmark = pytest.mark.browser


def _failed_run(served: Served) -> str:
    """A harvest run that fails for good (its data breaks the event's schema)."""
    rt, eng = served.runtime, served.runtime.engine
    assert eng is not None
    event = {"name": HARVEST_REQUESTED, "data": {"video_id": "bad id!", "window": "e2e"}}
    served.run(rt.send_events([event]))
    served.run(eng.wait_for_idle(timeout=60), timeout=90)
    failed = [r for r in eng.list_runs(status="FAILED", limit=50).data]
    return next(r.run_id for r in failed if r.fn_id.endswith("harvest-comments"))


def test_the_kill_switch_banner_is_on_every_page_while_it_is_on(page: Any, served: Served) -> None:
    guard = served.runtime.guard
    served.run(guard.kill_switch.turn_on("e2e: <b>quota</b> incident", "e2e"))
    try:
        for path in ("/", "/runs", "/domains", "/events", "/functions"):
            page.goto(served.url + path)
            banner = page.locator("#kill-banner")
            assert banner.is_visible(), path
            assert "Kill switch is ON" in banner.inner_text()
            assert "e2e: <b>quota</b> incident" in banner.inner_text()  # shown as text
        shot(page, "kill-switch-banner")
    finally:
        served.run(guard.kill_switch.turn_off("e2e"))
    page.goto(served.url + "/runs")
    assert page.locator("#kill-banner").count() == 0


def test_the_overview_lists_recent_failures_with_their_error(page: Any, served: Served) -> None:
    run_id = _failed_run(served)
    page.goto(served.url + "/")
    row = page.locator("#recent-failures tr", has_text=run_id)
    assert row.count() == 1 and "invalid" in row.inner_text()
    row.locator("a.mono").click()
    assert run_id in page.locator("h1").inner_text()
    assert "FAILED" in page.locator("h1").inner_text()


def test_the_event_list_filters_by_name(page: Any, served: Served) -> None:
    page.goto(served.url + "/events")
    page.select_option("#event-filter select[name=name]", HARVEST_REQUESTED)
    page.wait_for_url("**name=*")
    names = page.locator("#events tr[id^=ev-] td.mono").all_inner_texts()
    assert names and all(n.startswith(HARVEST_REQUESTED) for n in names)
    page.goto(served.url + "/events?name=nobody%2Fever")
    assert "no nobody/ever events" in page.locator("#events").inner_text()


def test_function_config_is_a_readable_table(page: Any, served: Served) -> None:
    page.goto(served.url + "/functions/tiktok-harvester-harvest-comments")
    config = page.locator("#fn-config").inner_text()
    assert "run(s) started per 1m" in config  # the throttle, in words
    assert "at most 1 at a time, per event.data.video_id" in config
    assert "3 retries after the first attempt" in config


def test_the_run_timeline_labels_fit_and_name_phases(page: Any, served: Served) -> None:
    eng = served.runtime.engine
    assert eng is not None
    run = next(r for r in eng.list_runs(limit=50).data if r.fn_id.endswith("harvest-comments"))
    page.goto(f"{served.url}/runs/{run.run_id}")
    legend = page.locator("#wf-legend").inner_text()
    assert "running" in legend
    svg = page.locator("svg.waterfall").bounding_box()
    for label in page.locator("svg.waterfall text.axis").all():
        box = label.bounding_box()
        assert svg["x"] <= box["x"] and box["x"] + box["width"] <= svg["x"] + svg["width"]
    last = page.locator("svg.waterfall text.axis").last.text_content()
    assert last.endswith((" ms", " s")), last  # human units, not "275220 m"


def test_the_runs_list_updates_itself_and_the_search_box_opens_a_run(
    page: Any, served: Served
) -> None:
    rt, eng = served.runtime, served.runtime.engine
    assert eng is not None
    page.goto(served.url + "/runs?fn=tiktok-harvester-health-check")
    before = page.locator("#runs a.run-link").count()
    served.run(rt.send_events([{"name": "system.health.requested", "data": {}}]))
    links = page.locator("#runs a.run-link")
    expect(links).to_have_count(before + 1, timeout=15_000)  # no reload: it polls
    newest = page.locator("#runs a.run-link").first.inner_text()
    page.fill("#search-box", newest[:16])
    page.press("#search-box", "Enter")
    page.wait_for_url(f"**/runs/{newest}")
    assert newest in page.locator("h1").inner_text()


def test_bulk_replay_of_ticked_runs_from_the_list(page: Any, served: Served) -> None:
    eng = served.runtime.engine
    assert eng is not None
    fn = "tiktok-harvester-health-check"
    before = len(eng.list_runs(fn=fn, limit=200).data)
    page.goto(f"{served.url}/runs?fn={fn}")
    page.locator("#runs input.pick").first.check()
    page.click("#bulk-replay")
    assert "replayed 1 of 1 run(s) as new runs" in page.locator("#bulk-done").inner_text()
    assert len(eng.list_runs(fn=fn, limit=200).data) == before + 1
    shot(page, "runs-bulk-replay")


def test_a_function_page_charts_throughput_failures_and_latency(page: Any, served: Served) -> None:
    page.goto(served.url + "/functions/tiktok-harvester-harvest-comments")
    charts = page.locator("#fn-charts [data-chart]")
    expect(charts).to_have_count(3)
    for i in range(3):  # drawn by uPlot from /api/v1/functions/…/series
        expect(charts.nth(i)).to_have_attribute("data-drawn", "1")
    assert page.locator("#fn-charts .uplot").count() == 3
    shot(page, "function-charts")


def test_the_overview_charts_queue_depth_and_lag(page: Any, served: Served) -> None:
    page.goto(served.url + "/")
    charts = page.locator("#queue-charts [data-chart]")
    expect(charts).to_have_count(2)
    for i in range(2):
        expect(charts.nth(i)).to_have_attribute("data-drawn", "1")
