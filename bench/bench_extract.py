"""Domain extraction: comments per second on one core, precision and recall against
the simulator's ground truth.

    uv run python bench/bench_extract.py [--n 1000000]
"""

from __future__ import annotations

import argparse
import time

from harvester.domains import extract
from harvester.tiktok.simulator import iter_comments


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    print(f"generating {args.n:,} simulator comments…", flush=True)
    corpus = [(text, truth) for _cid, text, truth in iter_comments(args.seed, args.n)]
    tp = fp = fn = 0
    start = time.perf_counter()
    found = [frozenset(d.domain for d in extract(text).domains) for text, _ in corpus]
    elapsed = time.perf_counter() - start
    for (_text, truth), got in zip(corpus, found, strict=True):
        tp += len(got & truth)
        fp += len(got - truth)
        fn += len(truth - got)
    with_domain = sum(1 for _, t in corpus if t)
    print(f"comments:        {len(corpus):,} ({with_domain / len(corpus):.0%} mention a domain)")
    print(f"throughput:      {len(corpus) / elapsed:,.0f} comments/s on one core ({elapsed:.2f} s)")
    print(f"precision:       {tp / max(1, tp + fp):.4f}  (false positives {fp:,})")
    print(f"recall:          {tp / max(1, tp + fn):.4f}  (missed {fn:,})")


if __name__ == "__main__":
    main()
