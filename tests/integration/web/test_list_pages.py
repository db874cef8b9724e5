"""Every list page sorts in SQL by an allow-listed column (click again: the reverse),
says its total, pages with previous/next and a chosen size, and refuses an unknown sort
key with a 422 page naming the allowed ones. Videos and domains say where they came
from: the pipeline's source or the import (format and file)."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from harvester.jobs.functions.extraction import mentions_of
from harvester.jobs.functions.import_runs import queue_import, run_import
from harvester.runtime import Runtime, build_runtime
from harvester.settings import Settings
from harvester.store.alerts import add_alert
from harvester.store.comments import upsert_comments
from harvester.store.job_runs import add_dead_letter
from harvester.store.mentions import record_mentions
from harvester.store.models import Severity
from harvester.store.videos import mark_video_harvested, upsert_videos
from harvester.web.app import create_app

HTML = {"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
FIXTURES = Path(__file__).parents[2] / "fixtures" / "imports"
VIDEOS = 60
VIDEO_LINK = re.compile(r'<a class="mono" href="/videos/([^"]+)">')


def _seed(rt: Runtime, tmp_path: Path) -> None:
    with rt.db.session() as s:
        # Comment counts run against the ids, so an id order and a count order differ.
        rows = [{"video_id": f"v{i:03d}", "advertiser_name": f"adv {i % 7}"} for i in range(VIDEOS)]
        upsert_videos(s, rows, NOW)
        for i in range(VIDEOS):
            mark_video_harvested(s, f"v{i:03d}", (i * 37) % VIDEOS, NOW)
        upsert_comments(s, "v001", [{"comment_id": "c1", "text": "see pipeline-shop.com"}], NOW)
        record_mentions(s, mentions_of("c1", "v001", "see pipeline-shop.com"), NOW)
        for i in range(30):
            text = f"deal {i:02d} at many-mentions.com"
            upsert_comments(s, f"v{i % 3:03d}", [{"comment_id": f"m{i:02d}", "text": text}], NOW)
            record_mentions(s, mentions_of(f"m{i:02d}", f"v{i % 3:03d}", text), NOW)
        for i in range(30):
            add_alert(s, f"k{i}", Severity.WARNING, f"alert {i:02d}", None)
            add_dead_letter(s, "fn-a", f"run-{i:02d}", {"name": "e"}, {"message": "x"}, i % 5)
    posts = tmp_path / "posts.ndjson"
    shutil.copy(FIXTURES / "zeeschuimer-tiktok.ndjson", posts)
    started = NOW + timedelta(hours=1)
    queue_import(
        rt.db,
        started,
        import_id="imp-posts-1",
        path=posts,
        file_name="posts.ndjson",
        origin="upload",
    )
    run_import(rt.db, lambda: started + timedelta(seconds=5), "imp-posts-1")


@pytest.fixture
async def app(tmp_path: Path, database_url: str) -> AsyncIterator[FastAPI]:
    """On SQLite and on Postgres (where reachable): NULLs, collations and ties differ."""
    shared = {} if database_url.startswith("sqlite") else {"database_url": database_url}
    runtime = build_runtime(Settings(data_dir=tmp_path / "data", **shared))
    _seed(runtime, tmp_path)
    yield create_app(runtime, start_engine=False)
    await runtime.aclose()


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as c:
        yield c


async def _ids(client: httpx.AsyncClient, **params: str) -> list[str]:
    res = await client.get("/videos", params=params, headers=HTML)
    assert res.status_code == 200, res.text
    return VIDEO_LINK.findall(res.text)


async def test_a_header_sorts_and_a_second_click_reverses(client: httpx.AsyncClient) -> None:
    up = await _ids(client, sort="comments", dir="asc", size="200")
    down = await _ids(client, sort="comments", dir="desc", size="200")
    assert len(up) == len(down) > VIDEOS  # the import's posts too
    assert down == list(reversed(up))  # the id breaks ties in the same direction
    assert up != sorted(up) and up != sorted(up, reverse=True)  # not the id order
    res = await client.get("/videos", params={"sort": "comments", "dir": "asc"}, headers=HTML)
    # The sorted header's link is the reverse; another header starts in its own direction.
    assert 'href="/videos?sort=comments&amp;dir=desc&amp;page=1&amp;size=50"' in res.text
    assert 'aria-sort="ascending"' in res.text


async def test_total_pages_previous_next_and_page_size(client: httpx.AsyncClient) -> None:
    res = await client.get("/videos", params={"size": "25"}, headers=HTML)
    total = int(re.search(r'data-total="(\d+)"', res.text).group(1))  # type: ignore[union-attr]
    assert total == VIDEOS + 6 and f"{total:,} videos" in res.text
    seen: list[str] = []
    for page in range(1, 4):
        ids = await _ids(client, size="25", page=str(page))
        seen += ids
    assert len(seen) == total == len(set(seen))  # every video once, across the pages
    last = await client.get("/videos", params={"size": "25", "page": "3"}, headers=HTML)
    assert 'rel="prev"' in last.text and 'rel="next"' not in last.text
    assert f"51–{total} · page 3 of 3" in last.text
    first = await client.get("/videos", params={"size": "25"}, headers=HTML)
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text


@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        ("/videos", {"sort": "video_id; DROP TABLE video"}, "sort:"),
        ("/domains", {"sort": "bogus"}, "sort:"),
        ("/comments", {"sort": "text desc"}, "sort:"),
        ("/admin", {"dl_sort": "nope"}, "dl_sort:"),
        ("/admin", {"al_size": "7"}, "al_size:"),
        ("/videos", {"dir": "sideways"}, "dir:"),
        ("/videos", {"size": "1000"}, "size:"),
        ("/videos", {"page": "0"}, "page:"),
    ],
)
async def test_an_unknown_sort_or_size_is_a_422_page(
    client: httpx.AsyncClient, path: str, params: dict[str, str], named: str
) -> None:
    res = await client.get(path, params=params, headers=HTML)
    assert res.status_code == 422 and res.headers["content-type"].startswith("text/html")
    assert named in res.text and "is not" in res.text
    assert "ORDER BY" not in res.text.upper() and "Traceback" not in res.text


async def test_the_admin_lists_sort_and_page_apart(client: httpx.AsyncClient) -> None:
    res = await client.get(
        "/admin", params={"al_sort": "message", "al_dir": "asc", "al_size": "25"}, headers=HTML
    )
    alerts = re.findall(r"<td>(alert \d\d)<br>", res.text)
    assert alerts == [f"alert {i:02d}" for i in range(25)]
    assert "30 alerts" in res.text and "30 dead letters" in res.text
    nxt = re.search(r'id="alerts-pager".*?rel="next" class="next" href="([^"]+)"', res.text, re.S)
    assert nxt and "al_page=2" in nxt.group(1) and "al_sort=message" in nxt.group(1)
    res = await client.get(nxt.group(1).replace("&amp;", "&"), headers=HTML)
    assert re.findall(r"<td>(alert \d\d)<br>", res.text) == [f"alert {i}" for i in range(25, 30)]


async def test_videos_and_domains_say_their_source(client: httpx.AsyncClient) -> None:
    res = await client.get("/videos", params={"sort": "source", "size": "200"}, headers=HTML)
    cells = re.findall(r'<td class="small source">([^<]+)</td>', res.text)
    assert cells.count("Zeeschuimer NDJSON · posts.ndjson") == 6
    assert cells.count("simulator") == VIDEOS
    listed = await client.get("/domains", params={"q": "shop-zone"}, headers=HTML)
    name = re.search(r'class="domain-link" href="/domains/([^"]+)"', listed.text)
    assert name, "the captions' domain is listed"
    domain = await client.get(f"/domains/{name.group(1)}", headers=HTML)
    assert domain.status_code == 200
    row = re.search(
        r'<td class="source">([^<]+)</td><td class="num">(\d+)</td><td class="num">(\d+)',
        domain.text,
    )
    assert row and row.group(1) == "Zeeschuimer NDJSON · posts.ndjson"
    assert int(row.group(3)) >= 1  # its captions
    pipeline = await client.get("/domains/pipeline-shop.com", headers=HTML)
    assert re.search(r'<td class="source">simulator</td><td class="num">1</td>', pipeline.text)


async def test_the_report_is_one_section_a_page_with_contents(client: httpx.AsyncClient) -> None:
    day = NOW.date().isoformat()
    first = await client.get("/report", params={"day": day, "section": "spiking"}, headers=HTML)
    assert first.status_code == 200 and 'id="report-toc"' in first.text
    assert 'data-section="spiking"' in first.text and 'id="report-new"' not in first.text
    nxt = re.search(r'id="next-section" href="([^"]+)">New \((\d+)\) →', first.text)
    assert nxt and 'id="prev-section"' not in first.text
    new_count = int(nxt.group(2))
    assert new_count >= 2  # pipeline-shop.com and the import's caption domain(s)
    new = await client.get(nxt.group(1).replace("&amp;", "&"), headers=HTML)
    assert 'id="report-new"' in new.text and 'id="prev-section"' in new.text
    names = re.findall(r'class="domain-link" href="/domains/([^"]+)"', new.text)
    assert len(names) == new_count and "pipeline-shop.com" in names
    assert f'data-total="{new_count}"' in new.text
    by_name = await client.get(
        "/report",
        params={"day": day, "section": "new", "sort": "name", "dir": "desc"},
        headers=HTML,
    )
    desc = re.findall(r'class="domain-link" href="/domains/([^"]+)"', by_name.text)
    assert desc == sorted(names, reverse=True)
    default = await client.get("/report", params={"day": day}, headers=HTML)
    assert 'id="report-spiking"' in default.text  # the first section, as it is filled
    assert 'href="/domains/many-mentions.com"' in default.text
    bad = await client.get("/report", params={"day": day, "section": "all"}, headers=HTML)
    assert bad.status_code == 422 and "spiking, new" in bad.text


async def test_a_domains_mentions_sort_and_page(client: httpx.AsyncClient) -> None:
    def deals(html: str) -> list[str]:
        return re.findall(r"deal (\d\d) at", html)

    res = await client.get("/domains/many-mentions.com", params={"size": "25"}, headers=HTML)
    assert res.status_code == 200 and "30 mentions" in res.text
    newest = deals(res.text)
    assert newest == [f"{i:02d}" for i in range(29, 4, -1)]
    rest = await client.get(
        "/domains/many-mentions.com", params={"size": "25", "page": "2"}, headers=HTML
    )
    assert deals(rest.text) == ["04", "03", "02", "01", "00"]
    oldest = await client.get(
        "/domains/many-mentions.com", params={"sort": "when", "dir": "asc", "size": "50"}
    )
    assert deals(oldest.text) == [f"{i:02d}" for i in range(30)]
    bad = await client.get("/domains/many-mentions.com", params={"sort": "text"}, headers=HTML)
    assert bad.status_code == 422 and "when, video, confidence" in bad.text


async def test_the_imports_list_sorts_and_counts(
    app: FastAPI, client: httpx.AsyncClient, tmp_path: Path
) -> None:
    rt = app.state.runtime
    for n, name in enumerate(["b-comments.ndjson", "a-posts.csv"]):
        f = tmp_path / name
        f.write_text("x" * (10 + n), encoding="utf-8")
        queue_import(rt.db, NOW, import_id=f"imp-{n}", path=f, file_name=name, origin="upload")

    async def files(**params: str) -> list[str]:
        res = await client.get("/imports", params=params, headers=HTML)
        assert res.status_code == 200, res.text
        assert '<span class="total" data-total="3">3 imports</span>' in res.text
        return re.findall(r'<a href="/imports/[^"]+">([^<]+)</a>', res.text)

    up = await files(sort="file", dir="asc")
    assert up == ["a-posts.csv", "b-comments.ndjson", "posts.ndjson"]
    assert await files(sort="file", dir="desc") == list(reversed(up))
    assert (await files())[0] == "posts.ndjson"  # newest first: it ran an hour later
    bad = await client.get("/imports", params={"sort": "rows"}, headers=HTML)
    assert bad.status_code == 422 and "when, file, source, format, state, size" in bad.text
