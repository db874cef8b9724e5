"""Import throughput and memory: a Zeeschuimer NDJSON of N comments (and their posts)
through ``import_path`` into a fresh SQLite database, end to end — detection, the
checking pass (which spools the valid rows), the storing pass, the extraction of every
new comment's domains.

    uv run --frozen python bench/import_bench.py [--comments 60000] [--per-post 100] [--runs 3]
    uv run --frozen python bench/import_bench.py --comments 2200000 --keep /tmp/z2g.ndjson

Prints one JSON line per run: wall and CPU seconds of the import (CPU is
``time.process_time``, the figure a loaded machine distorts least), comments/s for
both, the load average at the end, and the peak RSS (getrusage, the whole process's
high-water mark, so later runs of one process show the worst so far). ``--keep PATH``
writes the file there once and reuses it (large files take a while to build). The
last line is the summary: the worst comments/s of the runs and the highest peak RSS.
Figures are in docs/import.md ("Speed and memory").
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson
import sqlalchemy as sa
from tests.fixtures.imports import builders as b

from harvester.jobs.importer import import_path
from harvester.store import Database, upgrade
from harvester.store.clock import utcnow


def write_file(path: Path, comments: int, per_post: int) -> int:
    posts = max(1, comments // per_post)
    with path.open("wb") as out:
        for env in b.zeeschuimer_posts(posts):
            out.write(orjson.dumps(env) + b"\n")
        for p in range(posts):
            for env in b.zeeschuimer_comments(per_post, video=p, start=p * per_post):
                out.write(orjson.dumps(env) + b"\n")
    return posts


def _rss_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


@contextmanager
def fresh_database(postgres: str | None) -> Iterator[str]:
    """A fresh SQLite file, or a fresh schema of the Postgres database ``postgres``."""
    if not postgres:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in postgres else "?"
    try:
        yield f"{postgres}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def run_once(f: Path, comments: int, posts: int, postgres: str | None) -> dict[str, object]:
    with fresh_database(postgres) as url:
        db = Database(url)
        upgrade(db)
        rss0 = _rss_mb()
        wall0, cpu0 = time.perf_counter(), time.process_time()
        report = import_path(db, utcnow, f)
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        db.dispose()
    assert report.refused is None and report.new_comments == comments, report.as_dict()
    mb = f.stat().st_size / 2**20
    return {
        "database": "postgres" if postgres else "sqlite",
        "file_mb": round(mb, 1),
        "posts": posts,
        "comments": report.new_comments,
        "mentions": report.mentions,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "comments_per_s_wall": round(report.new_comments / wall),
        "comments_per_s_cpu": round(report.new_comments / cpu),
        "mb_per_s_wall": round(mb / wall, 1),
        "peak_rss_mb": _rss_mb(),
        "rss_before_import_mb": rss0,
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--comments", type=int, default=60_000)
    ap.add_argument("--per-post", type=int, default=100)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--keep", type=Path, help="build the file here once and reuse it")
    ap.add_argument(
        "--postgres",
        help="a Postgres URL (postgresql+psycopg://…): each run imports into a fresh schema "
        "of it (its CPU figure leaves out the server's work)",
    )
    args = ap.parse_args()
    posts = max(1, args.comments // args.per_post)
    with tempfile.TemporaryDirectory() as tmp:
        f = args.keep or Path(tmp) / "zeeschuimer-comments.ndjson"
        if not f.exists():
            write_file(f, args.comments, args.per_post)
        runs = []
        for _ in range(args.runs):
            runs.append(run_once(f, args.comments, posts, args.postgres))
            print(json.dumps(runs[-1]), flush=True)
    worst = {
        "worst_of": len(runs),
        "comments_per_s_cpu": min(r["comments_per_s_cpu"] for r in runs),  # type: ignore[type-var]
        "comments_per_s_wall": min(r["comments_per_s_wall"] for r in runs),  # type: ignore[type-var]
        "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),  # type: ignore[type-var]
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }
    print(json.dumps(worst), flush=True)


if __name__ == "__main__":
    main()
