"""Host normalisation: IDNA 2008 / UTS-46 and the Public Suffix List, offline."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import idna
import tldextract

# The bundled PSL snapshot only: no network, no disk cache, at any time.
_PSL = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


@dataclass(frozen=True)
class Host:
    """A validated host and its registrable domain, in Unicode and ASCII forms."""

    host: str
    ascii_host: str
    domain: str
    ascii_domain: str
    suffix: str


def _to_ascii(host: str) -> str | None:
    if host.isascii() and "xn--" not in host:
        # Plain ASCII needs no IDNA mapping (the common case, and much faster).
        labels = host.split(".")
        if len(host) > 253 or any(not _LABEL.match(lbl) for lbl in labels):
            return None
        return host
    try:
        ascii_host = idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return None
    labels = ascii_host.split(".")
    if len(ascii_host) > 253 or any(not _LABEL.match(lbl) for lbl in labels):
        return None
    return ascii_host


def _to_unicode(ascii_name: str) -> str:
    if "xn--" not in ascii_name:
        return ascii_name
    try:
        return idna.decode(ascii_name).lower()
    except (idna.IDNAError, UnicodeError, ValueError):
        return ascii_name


@lru_cache(maxsize=65_536)
def parse_host(raw: str) -> Host | None:
    """Validate a host; None unless it has a real (ICANN) public suffix and a name."""
    candidate = raw.strip().strip(".").lower()
    if not candidate or "." not in candidate:
        return None
    ascii_host = _to_ascii(candidate)
    if ascii_host is None:
        return None
    parts = _PSL(ascii_host)
    if not parts.suffix or not parts.domain or parts.is_private:
        return None
    if parts.suffix.replace(".", "").isdigit():
        return None
    ascii_domain = f"{parts.domain}.{parts.suffix}"
    return Host(
        host=_to_unicode(ascii_host),
        ascii_host=ascii_host,
        domain=_to_unicode(ascii_domain),
        ascii_domain=ascii_domain,
        suffix=_to_unicode(parts.suffix),
    )


def is_public_suffix(label: str) -> bool:
    """True when ``label`` alone is an ICANN public suffix (``com``, ``de``, ``рф``)."""
    return parse_host(f"example.{label}") is not None


def normalize_domain(value: str) -> str | None:
    """The registrable domain of a host, Unicode lower case; None when not a domain.

    Idempotent: ``normalize_domain(normalize_domain(x)) == normalize_domain(x)``.
    """
    parsed = parse_host(value)
    return parsed.domain if parsed else None
