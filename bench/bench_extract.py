"""Domain extraction: comments per second on one core, precision and recall against
the simulator's ground truth and against the hand-written cases.

    uv run python bench/bench_extract.py [--n 1000000]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from harvester.domains import extract
from harvester.tiktok.simulator import iter_comments

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.unit.domains.cases import all_cases


def score(pairs: Iterable[tuple[str, frozenset[str]]]) -> tuple[float, float, int, int]:
    """(precision, recall, false positives, misses) of ``extract`` over (text, truth)."""
    tp = fp = fn = 0
    for text, truth in pairs:
        got = frozenset(d.domain for d in extract(text).domains)
        tp += len(got & truth)
        fp += len(got - truth)
        fn += len(truth - got)
    return tp / max(1, tp + fp), tp / max(1, tp + fn), fp, fn


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    cases = [(text, frozenset(want)) for text, want in all_cases()]
    p, r, fp, fn = score(cases)
    print(f"cases:           {len(cases):,} hand-written (tests/unit/domains/cases.py)")
    print(f"  precision:     {p:.4f}  (false positives {fp})")
    print(f"  recall:        {r:.4f}  (missed {fn})")
    print(f"generating {args.n:,} simulator comments…", flush=True)
    corpus = [(text, truth) for _cid, text, truth in iter_comments(args.seed, args.n)]
    start, cpu_start = time.perf_counter(), time.process_time()
    for text, _ in corpus:
        extract(text)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    p, r, fp, fn = score(corpus)
    with_domain = sum(1 for _, t in corpus if t)
    print(f"comments:        {len(corpus):,} ({with_domain / len(corpus):.0%} mention a domain)")
    print(f"throughput:      {len(corpus) / elapsed:,.0f} comments/s on one core ({elapsed:.2f} s)")
    # CPU time of this process: what one core does when other processes share the machine.
    print(f"  per CPU second: {len(corpus) / cpu:,.0f} comments/s ({cpu:.2f} s of CPU)")
    print(f"precision:       {p:.4f}  (false positives {fp:,})")
    print(f"recall:          {r:.4f}  (missed {fn:,})")


if __name__ == "__main__":
    main()
