"""View helpers: highlighting, safe links, chart and waterfall geometry, session values."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from harvester.web.dashboard.render import bars, fn_options, segments, step_domains, waterfall
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


def test_waterfall_places_steps_on_one_axis() -> None:
    run = {
        "created_at": 100.0,
        "ended_at": 101.0,
        "steps": [
            {
                "name": "a",
                "started_at": 100.0,
                "ended_at": 100.5,
                "output": {"new_domains": ["x.io"]},
            },
            {"name": "b", "started_at": 100.5, "ended_at": 101.0, "output": None},
        ],
    }
    wf = waterfall(run, width=600)
    assert [r["x"] for r in wf["rows"]] == [0.0, 300.0]
    assert wf["rows"][0]["domains"] == ["x.io"] and wf["ticks"][-1]["label"] == "1000 ms"


def test_step_domains_and_fn_options() -> None:
    assert step_domains({"domains": ["a.com", 3]}) == ["a.com"] and step_domains("x") == []
    config = {"steps": {"step": {"retries": {"attempts": 3}}}, "throttle": {"limit": 100}}
    assert fn_options(config) == [("retries", 3), ("throttle", {"limit": 100})]
