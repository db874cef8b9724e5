"""What a fetched page says, read from its text: the title and the outbound links
(a link-in-bio page is a list of them). Pure functions: the fetching is elsewhere."""

from __future__ import annotations

import html
import re

_TITLE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_HREF = re.compile(r"""<a\s[^>]*?href\s*=\s*["']([^"'<>\s]+)["']""", re.IGNORECASE)
MAX_TITLE = 300
MAX_LINKS = 50


def page_title(text: str) -> str | None:
    """The page's <title>, unescaped and squeezed (None when it has none)."""
    m = _TITLE.search(text)
    if m is None:
        return None
    title = " ".join(html.unescape(m.group(1)).split())
    return title[:MAX_TITLE] or None


def outbound_links(text: str, page_host: str) -> list[str]:
    """Absolute http(s) links to other hosts, in page order, without repeats."""
    seen: dict[str, None] = {}
    own = page_host.lower().removeprefix("www.")
    for raw in _HREF.findall(text):
        url = html.unescape(raw)
        if not url.lower().startswith(("http://", "https://")):
            continue
        host = url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].split(":", 1)[0]
        if host.lower().removeprefix("www.") != own:
            seen.setdefault(url, None)
        if len(seen) >= MAX_LINKS:
            break
    return list(seen)
