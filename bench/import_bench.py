"""Import throughput and memory: a Zeeschuimer NDJSON of N comments (and their posts)
through ``import_path`` into a fresh SQLite database, end to end — detection, the
checking read, the storing read, the extraction of every comment's domains.

    .venv/bin/python bench/import_bench.py [--comments 60000] [--per-post 100]

Prints comments/s and the peak RSS (the process's, from getrusage). Files over 32 MB
are read twice (check, then store), as every large import is: the figure includes it.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fixtures.imports import builders as b

from harvester.jobs.importer import import_path
from harvester.store import Database, upgrade
from harvester.store.clock import utcnow


def write_file(path: Path, comments: int, per_post: int) -> int:
    posts = max(1, comments // per_post)
    with path.open("w") as out:
        for env in b.zeeschuimer_posts(posts):
            out.write(json.dumps(env) + "\n")
        for p in range(posts):
            for env in b.zeeschuimer_comments(per_post, video=p, start=p * per_post):
                out.write(json.dumps(env) + "\n")
    return posts


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--comments", type=int, default=60_000)
    ap.add_argument("--per-post", type=int, default=100)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        f = Path(tmp) / "zeeschuimer-comments.ndjson"
        posts = write_file(f, args.comments, args.per_post)
        size = f.stat().st_size
        db = Database(f"sqlite:///{tmp}/bench.db")
        upgrade(db)
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        report = import_path(db, utcnow, f)
        took = time.perf_counter() - started
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        db.dispose()
    assert report.refused is None and report.new_comments == args.comments, report.as_dict()
    print(
        json.dumps(
            {
                "file_mb": round(size / 2**20, 1),
                "posts": posts,
                "comments": report.new_comments,
                "mentions": report.mentions,
                "seconds": round(took, 2),
                "comments_per_s": round(report.new_comments / took),
                "mb_per_s": round(size / 2**20 / took, 1),
                "peak_rss_mb": round(rss / 1024),
                "rss_before_import_mb": round(rss0 / 1024),
            }
        )
    )


if __name__ == "__main__":
    main()
