"""Host normalisation: IDNA 2008 / UTS-46 and the Public Suffix List, offline.

The registrable unit is computed with the PSL's private section too: on a shared
platform the shop is the domain (``bloom.myshopify.com``, ``me.github.io``), not the
platform. The ICANN-level name (``myshopify.com``) is kept beside it for grouping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import idna
import tldextract

# The bundled PSL snapshot only (both sections): no URL to fetch, no disk cache, at
# any time. ``suffix_list_urls=()`` makes tldextract skip the network entirely.
_PSL = tldextract.TLDExtract(
    suffix_list_urls=(),
    cache_dir=None,
    fallback_to_snapshot=True,
    include_psl_private_domains=True,
)
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


@dataclass(frozen=True)
class Host:
    """A validated host and its registrable domain, in Unicode and ASCII forms.

    ``domain`` counts the PSL's private section (``bloom.myshopify.com``);
    ``icann_domain`` does not (``myshopify.com``). They are equal for most hosts.
    ``suffix`` is the public suffix ``domain`` sits under (``myshopify.com``,
    ``co.uk``); ``tld`` the last label (``com``, ``uk``).
    """

    host: str
    ascii_host: str
    domain: str
    ascii_domain: str
    suffix: str
    icann_domain: str
    private: bool
    tld: str


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
    """Validate a host; None unless it has a real public suffix and a name under it."""
    candidate = raw.strip().strip(".").lower()
    if not candidate or "." not in candidate:
        return None
    ascii_host = _to_ascii(candidate)
    if ascii_host is None:
        return None
    parts = _PSL(ascii_host)
    registry = parts.registry_suffix
    if not registry or registry.replace(".", "").isdigit():
        return None
    labels = ascii_host.split(".")
    keep = registry.count(".") + 2  # the registry suffix and one label under it
    if len(labels) < keep:
        return None
    icann = ".".join(labels[-keep:])
    if parts.is_private and parts.domain and parts.domain != "www":
        ascii_domain, suffix = f"{parts.domain}.{parts.suffix}", parts.suffix
    else:
        # Not on a shared platform, or the platform itself ("github.io",
        # "www.myshopify.com"): the ICANN-level name is the unit.
        ascii_domain, suffix = icann, registry
    domain = _to_unicode(ascii_domain)
    return Host(
        host=_to_unicode(ascii_host),
        ascii_host=ascii_host,
        domain=domain,
        ascii_domain=ascii_domain,
        suffix=_to_unicode(suffix),
        icann_domain=domain if ascii_domain == icann else _to_unicode(icann),
        private=ascii_domain != icann,
        tld=_to_unicode(registry.rsplit(".", 1)[-1]),
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


def icann_domain(value: str) -> str | None:
    """The ICANN-level registrable domain of a host (``myshopify.com`` for a shop on
    it): what to group a platform's shops by. None when not a domain."""
    parsed = parse_host(value)
    return parsed.icann_domain if parsed else None
