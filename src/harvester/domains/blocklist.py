"""Platform and noise domains: reported as filtered, never silently dropped."""

from __future__ import annotations

DEFAULT_BLOCKLIST: frozenset[str] = frozenset(
    {
        "tiktok.com",
        "tiktokv.com",
        "tiktokcdn.com",
        "tiktokcdn-us.com",
        "tiktokw.us",
        "byteoversea.com",
        "bytedance.com",
        "ibytedtos.com",
        "musical.ly",
    }
)


def parse_blocklist(text: str) -> frozenset[str]:
    """One domain per line; ``#`` starts a comment."""
    out = set()
    for line in text.splitlines():
        item = line.split("#", 1)[0].strip().lower()
        if item:
            out.add(item)
    return frozenset(out)
