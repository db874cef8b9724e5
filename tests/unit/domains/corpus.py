"""The issue-29 corpus (``corpus.txt``): comments in a dozen languages, by category,
each with the domains an analyst would list and why; and its score."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).with_name("corpus.txt")
SEP = " ‖ "
_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})|\\n")


@dataclass(frozen=True)
class Case:
    category: str
    text: str
    expected: frozenset[str]
    reason: str
    line: int


def _unescape(s: str) -> str:
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)) if m.group(1) else "\n", s)


def load(path: Path = CORPUS) -> list[Case]:
    cases = []
    for n, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        category, text, expected, reason = line.split(SEP)
        want = frozenset() if expected.strip() == "-" else frozenset(expected.split())
        cases.append(Case(category.strip(), _unescape(text), want, reason.strip(), n))
    return cases


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    cases: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


def score(
    cases: Iterable[Case], found: Callable[[str], frozenset[str]]
) -> tuple[dict[str, Score], list[tuple[Case, frozenset[str]]]]:
    """Per category: true/false positives and misses; and every case that differs."""
    scores: dict[str, Score] = {}
    wrong = []
    for c in cases:
        got = found(c.text)
        s = scores.setdefault(c.category, Score())
        s.cases += 1
        s.tp += len(got & c.expected)
        s.fp += len(got - c.expected)
        s.fn += len(c.expected - got)
        if got != c.expected:
            wrong.append((c, got))
    return scores, wrong
