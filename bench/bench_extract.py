"""Domain extraction: comments per second on one core, precision and recall against
the simulator's ground truth, the hand-written cases and the issue-29 corpus (per
category).

    uv run python bench/bench_extract.py [--n 1000000] [--corpus mix|sim]

``--corpus mix`` (the default) times the realistic mix of ``bench/extract_mix.py``
(URLs, obfuscations in a dozen languages, emoji, CJK, e-mails); ``sim`` the
simulator's comments. ``harvester extract`` end to end: ``bench/bench_extract_cli.py``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from pathlib import Path

from harvester.domains import extract
from harvester.sim.tiktok import iter_comments

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.extract_mix import realistic_mix
from tests.unit.domains import corpus
from tests.unit.domains.cases import all_cases


def _found(text: str) -> frozenset[str]:
    return frozenset(d.domain for d in extract(text).domains)


def score(pairs: Iterable[tuple[str, frozenset[str]]]) -> tuple[float, float, int, int]:
    """(precision, recall, false positives, misses) of ``extract`` over (text, truth)."""
    tp = fp = fn = 0
    for text, truth in pairs:
        got = _found(text)
        tp += len(got & truth)
        fp += len(got - truth)
        fn += len(truth - got)
    return tp / max(1, tp + fp), tp / max(1, tp + fn), fp, fn


def _throughput(texts: list[str]) -> tuple[float, float]:
    """(comments per wall second, comments per CPU second) of one pass."""
    start, cpu_start = time.perf_counter(), time.process_time()
    for text in texts:
        extract(text)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    return len(texts) / elapsed, len(texts) / cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--corpus", choices=("mix", "sim"), default="mix")
    args = ap.parse_args()
    cases = [(text, frozenset(want)) for text, want in all_cases()]
    p, r, fp, fn = score(cases)
    print(f"cases:           {len(cases):,} hand-written (tests/unit/domains/cases.py)")
    print(f"  precision:     {p:.4f}  (false positives {fp})")
    print(f"  recall:        {r:.4f}  (missed {fn})")
    issue29 = corpus.load()
    scores, wrong = corpus.score(issue29, _found)
    print(f"corpus:          {len(issue29):,} cases (tests/unit/domains/corpus.txt)")
    for name, s in sorted(scores.items()):
        print(
            f"  {name:12s}   precision {s.precision:.4f}  recall {s.recall:.4f}"
            f"  ({s.cases} cases, {s.fp} false positives, {s.fn} missed)"
        )
    for c, got in wrong:
        print(f"  wrong, line {c.line}: {c.text!r} gave {sorted(got)}, want {sorted(c.expected)}")

    print(f"generating {args.n:,} simulator comments…", flush=True)
    sim = [(text, truth) for _cid, text, truth in iter_comments(args.seed, args.n)]
    p, r, fp, fn = score(sim)
    with_domain = sum(1 for _, t in sim if t)
    print(f"simulator:       {len(sim):,} comments ({with_domain / len(sim):.0%} mention a domain)")
    print(f"  precision:     {p:.4f}  (false positives {fp:,})")
    print(f"  recall:        {r:.4f}  (missed {fn:,})")
    texts = realistic_mix(29, args.n) if args.corpus == "mix" else [t for t, _ in sim]
    wall, cpu = _throughput(texts)
    what = "realistic mix (bench/extract_mix.py)" if args.corpus == "mix" else "simulator"
    print(f"throughput:      {wall:,.0f} comments/s on one core, {what}")
    # CPU time of this process: what one core does when other processes share the machine.
    print(f"  per CPU second: {cpu:,.0f} comments/s")


if __name__ == "__main__":
    main()
