"""The text the patterns read: invisible characters out, fullwidth ASCII folded, CJK
full stops between ASCII read as dots; and the way back to the original offsets."""

from __future__ import annotations

from harvester.domains import patterns


def prepare(text: str) -> tuple[str, list[int] | None]:
    """``text`` as the patterns read it, and where each of its characters was in the
    original (None when nothing was removed: the offsets are the same).

    Invisible characters are removed (so "exa\\u200bmple.com" is one name), fullwidth
    letters and signs fold to ASCII one for one, and "。", "｡", "．" read as "."
    between ASCII letters or digits."""
    if patterns.NEEDS_PREP.search(text) is None:
        return text, None
    index: list[int] | None = None
    if patterns.INVISIBLE_RUN.search(text) is not None:
        index = []
        kept = []
        pos = 0
        for m in patterns.INVISIBLE_RUN.finditer(text):
            kept.append(text[pos : m.start()])
            index.extend(range(pos, m.start()))
            pos = m.end()
        kept.append(text[pos:])
        index.extend(range(pos, len(text)))
        text = "".join(kept)
    text = text.translate(patterns.FULLWIDTH)
    if "。" in text or "｡" in text or "．" in text:
        text = patterns.CJK_DOT.sub(".", text)
    return text, index


def original_span(index: list[int] | None, start: int, end: int) -> tuple[int, int]:
    """The span in the original text of ``[start, end)`` in the prepared one (the
    invisible characters inside it stay inside it)."""
    if index is None:
        return start, end
    return index[start], index[end - 1] + 1
