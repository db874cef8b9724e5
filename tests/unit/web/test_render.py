"""View helpers: highlighting, safe links, chart and waterfall geometry, session values."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from harvester.kernel import timeline
from harvester.kernel.timeline import Phase
from harvester.web.dashboard.render import bars, segments, step_domains, waterfall
from harvester.web.fn_config import describe
from harvester.web.security import is_loopback, safe_url, session_value


def test_segments_mark_each_span_once() -> None:
    text = "go to shop.com or deal.fr!"
    parts = segments(text, [(18, 25), (6, 14)])
    assert [p for p, hit in parts if hit] == ["shop.com", "deal.fr"]
    assert "".join(p for p, _ in parts) == text


@given(st.text(max_size=40), st.lists(st.tuples(st.integers(-5, 50), st.integers(-5, 50))))
def test_segments_always_show_the_whole_text_once(text: str, spans: list[tuple[int, int]]) -> None:
    assert "".join(p for p, _ in segments(text, spans)) == text


def test_safe_url_keeps_only_http_links() -> None:
    assert safe_url("https://www.tiktok.com/@a/video/1") == "https://www.tiktok.com/@a/video/1"
    for bad in ("javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,x", "//x", None, 3):
        assert safe_url(bad) is None


def test_loopback_detection() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "10.0.0.1", "example.com", "::"))


def test_session_value_is_derived_not_the_token() -> None:
    assert session_value("t") != "t" and session_value("t") == session_value("t")
    assert session_value("t") != session_value("u")


def test_bars_scale_to_the_highest_value() -> None:
    geo = bars([{"day": "2026-01-01", "n": 5}, {"day": "2026-01-02", "n": 10}], "n", height=120)
    assert geo[1]["h"] == 100 and geo[0]["h"] == 50 and geo[0]["label"] == "01-01"
    assert bars([{"day": "2026-01-01", "n": None}], "n")[0]["h"] == 0


def _step(name: str, start: float, end: float, op: str = "StepRun", **kw: object) -> dict:
    return {"name": name, "op": op, "started_at": start, "ended_at": end, "output": None, **kw}


def test_waterfall_places_steps_on_one_axis() -> None:
    run = {
        "created_at": 100.0,
        "started_at": 100.0,
        "ended_at": 101.0,
        "steps": [
            _step("a", 100.0, 100.5, output={"new_domains": ["x.io"]}),
            _step("b", 100.5, 101.0),
        ],
    }
    wf = waterfall(run, width=600)
    assert [r["bars"][0]["x"] for r in wf["rows"]] == [0.0, 300.0]
    assert wf["rows"][0]["domains"] == ["x.io"] and wf["ticks"][-1]["label"] == "1.0 s"
    assert wf["ticks"][0]["anchor"] == "start" and wf["ticks"][-1]["anchor"] == "end"


def test_a_throttled_run_shows_its_queue_time_and_keeps_its_work_readable() -> None:
    """The issue's run: 274 s waiting for its throttle, then 1.2 s of work."""
    run = {
        "created_at": 0.0,
        "started_at": 274.0,
        "ended_at": 275.2,
        "steps": [_step("fetch", 274.0, 274.6), _step("store", 274.6, 275.1)],
    }
    wf = waterfall(run, width=700)
    queued = wf["life"][0]
    assert queued["phase"] == "queued" and queued["label"] == "queued 4 m 34 s"
    assert queued["squeezed"] and queued["w"] <= 0.35 * 700 + 1
    assert sum(r["bars"][0]["w"] for r in wf["rows"]) > 0.5 * 700  # work is not a sliver
    assert wf["span"] == "4 m 35 s"
    # The queue's end is marked with its real offset; later ticks count from there.
    labels = [t["label"] for t in wf["ticks"]]
    assert labels[0] == "0 ms" and "4 m 34 s" in labels and labels[-1] == "+1.2 s"
    assert len(set(labels)) == len(labels)
    assert wf["idle"] == ["queued 4 m 34 s"]


def test_sleeps_waits_and_backoff_are_their_own_segments() -> None:
    run = {
        "created_at": 0.0,
        "started_at": 0.0,
        "ended_at": 100.0,
        "steps": [
            _step("nap", 0.0, 0.1, op="Sleep"),
            _step("flaky", 30.0, 30.1, op="StepError", error={"message": "503"}),
            _step("flaky", 32.0, 32.1),
            _step("wait", 32.1, 32.2, op="WaitForEvent"),
            _step("after", 99.0, 99.5),
        ],
    }
    phases = [(s.phase, round(s.duration, 1)) for s in timeline.segments(run)]
    assert phases == [
        (Phase.RUNNING, 0.1),
        (Phase.SLEEPING, 29.9),
        (Phase.RUNNING, 0.1),
        (Phase.BACKOFF, 1.9),
        (Phase.RUNNING, 0.1),
        (Phase.RUNNING, 0.1),
        (Phase.WAITING, 66.8),
        (Phase.RUNNING, 0.5),
        (Phase.RUNNING, 0.5),  # the final call, which records no step
    ]
    wf = waterfall(run)
    assert [b["phase"] for b in wf["rows"][0]["bars"]] == ["running", "sleeping"]


def test_an_unfinished_run_is_drawn_up_to_now() -> None:
    run = {"created_at": 0.0, "started_at": None, "ended_at": None, "steps": []}
    [seg] = timeline.segments(run, now=90.0)
    assert seg.phase is Phase.QUEUED and seg.duration == 90.0


def test_human_durations() -> None:
    cases = {0.35: "350 ms", 1.23: "1.2 s", 42: "42 s", 275.2: "4 m 35 s", 120: "2 m"}
    cases |= {7500: "2 h 5 m", 90_000: "1 d 1 h", 0.9999: "1.0 s"}
    assert {k: timeline.human(k) for k in cases} == cases


@given(
    st.lists(
        st.tuples(st.floats(0, 1000), st.floats(0, 100), st.sampled_from(["StepRun", "Sleep"])),
        max_size=8,
    )
)
def test_the_axis_is_monotonic_and_stays_in_the_drawing(raw: list) -> None:
    steps, t = [], 0.0
    for gap, took, op in raw:
        steps.append(_step("s", t + gap, t + gap + took, op=op))
        t += gap + took
    run = {"created_at": 0.0, "started_at": None, "ended_at": t + 1, "steps": steps}
    wf = waterfall(run, width=500)
    xs = [g["x"] for g in wf["life"]]
    assert xs == sorted(xs)
    assert all(0 <= g["x"] <= 500 and g["x"] + g["w"] <= 502 for g in wf["life"])


def test_step_domains_and_fn_options() -> None:
    assert step_domains({"domains": ["a.com", 3]}) == ["a.com"] and step_domains("x") == []


def test_function_config_reads_as_words_and_keeps_the_raw_value() -> None:
    config = {
        "steps": {"step": {"retries": {"attempts": 3}}},
        "throttle": {"limit": 1, "period": "1m", "key": "event.data.region"},
        "concurrency": [{"limit": 5, "key": "event.data.video_id", "scope": "env"}],
        "batchEvents": {"maxSize": 50, "timeout": "5s"},
        "cancel": [{"event": "tiktok/stop", "if": "event.data.id == async.data.id"}],
        "singleton": {"mode": "skip"},
        "debounce": "odd",  # a shape we do not know: shown as JSON, never hidden
    }
    said = {label: words for label, words, _raw in describe(config)}
    assert said["retries"] == "3 retries after the first attempt"
    assert said["throttle"] == "1 run(s) started per 1m, per event.data.region (queued)"
    assert said["concurrency"] == "at most 5 at a time (env scope), per event.data.video_id"
    assert said["batch"] == "up to 50 events per run, or after 5s"
    assert said["cancel"] == "on event tiktok/stop if event.data.id == async.data.id"
    assert said["singleton"] == "one run at a time, else new runs skipped"
    assert said["debounce"] == '"odd"' and next(iter(said)) == "retries"
