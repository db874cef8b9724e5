from __future__ import annotations

from harvester.domains import extract
from harvester.domains.links import outbound_links, page_title
from harvester.sim.web_world import planted_mentions


def test_title_is_unescaped_and_squeezed() -> None:
    assert page_title("<html><TITLE>\n Glow &amp; Co \n</TITLE>") == "Glow & Co"
    assert page_title("<p>no title</p>") is None
    assert page_title("<title></title>") is None
    assert len(page_title("<title>" + "x" * 999 + "</title>") or "") == 300


def test_outbound_links_skip_the_page_itself_and_repeats() -> None:
    page = (
        "<a href=\"https://shop.example/\">a</a><a class=x href='https://bit.ly/z'>b</a>"
        '<a href="https://linktr.ee/other">own</a><a href="/relative">r</a>'
        '<a href="javascript:alert(1)">j</a><a href="https://shop.example/">again</a>'
        '<a href="https://x.example/?a=1&amp;b=2">q</a>'
    )
    assert outbound_links(page, "linktr.ee") == [
        "https://shop.example/",
        "https://bit.ly/z",
        "https://x.example/?a=1&b=2",
    ]


def test_every_planted_mention_extracts_to_its_truth() -> None:
    for p in planted_mentions():
        assert {d.domain for d in extract(f"wow {p.text} 🔥").domains} == p.truth, p.text
