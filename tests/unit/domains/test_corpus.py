"""Issue 29: precision ≥ 0.99 and recall ≥ 0.98 per category on the corpus of
comments written the way people dodge filters (``corpus.txt``)."""

from __future__ import annotations

import pytest

from harvester.domains import extract

from .corpus import load, score

CASES = load()
CATEGORIES = sorted({c.category for c in CASES})


def _domains(text: str) -> frozenset[str]:
    return frozenset(d.domain for d in extract(text).domains)


def test_the_corpus_is_big_enough() -> None:
    assert len(CASES) >= 300
    for cat in CATEGORIES:
        assert sum(1 for c in CASES if c.category == cat) >= 30, cat
    assert all(c.reason for c in CASES)


@pytest.mark.parametrize("category", CATEGORIES)
def test_precision_and_recall_per_category(category: str) -> None:
    scores, wrong = score([c for c in CASES if c.category == category], _domains)
    s = scores[category]
    report = "\n".join(
        f"  line {c.line}: {c.text!r} gave {sorted(got)}, want {sorted(c.expected)} ({c.reason})"
        for c, got in wrong
    )
    summary = f"{category}: precision {s.precision:.4f}, recall {s.recall:.4f}, {s.cases} cases"
    assert s.precision >= 0.99 and s.recall >= 0.98, f"{summary}\n{report}"
