"""What dbos_extra.py and celery_extra.py share (standard library only): the command
line, the side database, the TikTok simulator's wire format for one harvest call, and
the figures each workload reports."""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

AD_PAGES = 4  # ad pages of 50 listed (200 videos)
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))
Follow = list[tuple[str, str, int]]  # (kind, arg, cursor) of the calls a page leads to


def parse_args(doc: str) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    sub = ap.add_subparsers(dest="workload", required=True)
    s = sub.add_parser("sleepers")
    s.add_argument("workdir", type=Path)
    s.add_argument("n", type=int, nargs="?", default=1000)
    s.add_argument("delay", type=float, nargs="?", default=20.0)
    h = sub.add_parser("harvest")
    h.add_argument("workdir", type=Path)
    h.add_argument("sim_url")
    h.add_argument("seconds", type=float, nargs="?", default=150.0)
    args = ap.parse_args()
    args.workdir = args.workdir.resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    return args


def open_side(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, timeout=30)
    conn.execute("pragma journal_mode=wal")
    conn.execute("pragma synchronous=normal")
    return conn


def create_harvest_tables(conn: sqlite3.Connection) -> None:
    with conn:
        conn.execute("create table calls (at real, kind text, status int, n int)")
        conn.execute("create table comments (id text primary key, video_id text, text text)")


def token(sim: str) -> str:
    form = b"client_key=bench&client_secret=bench&grant_type=client_credentials"
    with _http.open(sim + "/v2/oauth/token/", data=form, timeout=30) as res:
        return str(json.load(res)["access_token"])


def _post(sim: str, tok: str, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any], float]:
    """(HTTP status, parsed body, Retry-After seconds) of one simulator call."""
    req = urllib.request.Request(
        sim + path,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {tok}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with _http.open(req, timeout=30) as res:
            return res.status, json.load(res), 0.0
    except urllib.error.HTTPError as e:
        return e.code, {}, float(e.headers.get("Retry-After") or 1)


def harvest_call(
    sim: str, tok: str, conn: sqlite3.Connection, kind: str, arg: str, cursor: int
) -> tuple[int, float, Follow]:
    """One API call (an ad page or a comment page); its comments and a `calls` row are
    committed in one transaction. Returns (status, Retry-After, follow-up calls)."""
    if kind == "ads":
        today = datetime.now(UTC).date()
        window = {
            "min": (today - timedelta(days=30)).strftime("%Y%m%d"),
            "max": today.strftime("%Y%m%d"),
        }
        status, res, retry = _post(
            sim,
            tok,
            "/v2/research/adlib/ad/query/?fields=ad,advertiser",
            {
                "filters": {"ad_published_date_range": window, "country_code": "ALL"},
                "max_count": 50,
                "search_id": arg,
            },
        )
    else:
        status, res, retry = _post(
            sim,
            tok,
            "/v2/research/video/comment/list/?fields=id,video_id,text,create_time",
            {"video_id": arg, "cursor": cursor, "max_count": 100},
        )
    data = res.get("data") or {}
    follow: Follow = []
    comments = (data.get("comments") or []) if kind == "comments" else []
    if status == 200 and kind == "ads":
        follow = [
            ("comments", a["ad"]["videos"][0]["url"].rsplit("/", 1)[1], 0) for a in data["ads"]
        ]
        if data.get("has_more") and cursor + 1 < AD_PAGES:
            follow.append(("ads", data["search_id"], cursor + 1))
    elif status == 200 and data.get("has_more"):
        follow = [("comments", arg, int(data["cursor"]))]
    with conn:
        conn.executemany(
            "insert or ignore into comments values (?, ?, ?)",
            [(x["id"], x["video_id"], x["text"]) for x in comments],
        )
        conn.execute(
            "insert into calls values (?, ?, ?, ?)", (time.time(), kind, status, len(comments))
        )
    return status, retry, follow


def harvest_report(
    engine: str, conn: sqlite3.Connection, sim: str, start: float, seconds: float
) -> dict[str, Any]:
    """Calls (per full minute), 429s and comments stamped before start + seconds."""
    rows = conn.execute(
        "select at, status, n from calls where at < ?", (start + seconds,)
    ).fetchall()
    minutes = [0] * int(seconds // 60)
    for at, _, _ in rows:
        if (m := int((at - start) // 60)) < len(minutes):
            minutes[m] += 1
    with _http.open(sim + "/_sim/stats", timeout=30) as res:
        sim_stats = json.load(res)
    return {
        "engine": engine,
        "workload": "harvest",
        "seconds": seconds,
        "calls": len(rows),
        "per_minute": minutes,
        "http_429": sum(1 for _, s, _ in rows if s == 429),
        "comments": sum(n for _, _, n in rows),
        "sim_stats": sim_stats,
    }


def progress(engine: str, conn: sqlite3.Connection, start: float, seconds: float) -> None:
    """Sleep until start + seconds, printing the calls made every 10 s."""
    while (left := start + seconds - time.time()) > 0:
        time.sleep(min(10.0, left))
        n = conn.execute("select count(*) from calls").fetchone()[0]
        print(f"{engine}: {time.time() - start:5.0f} s, {n} calls", flush=True, file=sys.stderr)


def wait_for_wakers(conn: sqlite3.Connection, n: int, deadline: float) -> None:
    give_up = deadline + 60 + n * 0.1
    while conn.execute("select count(*) from woke").fetchone()[0] < n and time.time() < give_up:
        time.sleep(0.1)


def sleepers_report(
    engine: str, conn: sqlite3.Connection, n: int, deadline: float, rss_kb: int
) -> dict[str, Any]:
    late = sorted((at - deadline) * 1000 for (at,) in conn.execute("select at from woke"))

    def pct(q: float) -> float:
        return late[min(len(late) - 1, max(0, int(len(late) * q + 0.5) - 1))]

    return {
        "engine": engine,
        "workload": "sleepers",
        "n": n,
        "woke": len(late),
        "rss_mb": round(rss_kb / 1024, 1),
        "late_p50_ms": round(statistics.median(late), 1),
        "late_p99_ms": round(pct(0.99), 1),
        "late_max_ms": round(late[-1], 1),
    }
