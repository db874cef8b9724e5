"""What the SSRF guard calls public: one classification of every spelling of an address.

Links in comments and the sites they lead to are attacker-controlled (docs/security.md),
so a URL may name a private address in any form a resolver or a socket accepts:
IPv4-mapped (``::ffff:127.0.0.1``) and IPv4-compatible (``::127.0.0.1``) IPv6, 6to4,
Teredo and NAT64 addresses that carry an IPv4 inside, octal/hex/decimal/short IPv4
(``0177.0.0.1``, ``0x7f.1``, ``2130706433``, ``127.1``), ``0.0.0.0`` and ``::``.
"""

from __future__ import annotations

import ipaddress
import re
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# What inet_aton reads as an IPv4 address: 1–4 parts, each decimal, octal or hex.
_NUMERIC_V4 = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}$", re.IGNORECASE)
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_V4_COMPATIBLE = ipaddress.ip_network("::/96")


class AmbiguousAddress(ValueError):
    """A host that looks numeric but is no address (e.g. ``08.1``): never fetched."""


def literal_ip(host: str) -> IPAddress | None:
    """The address a URL's host spells, in any form a socket takes; None for a name."""
    text = host.strip().strip("[]").rstrip(".").lower()
    text = text.split("%", 1)[0]  # an IPv6 zone id (fe80::1%eth0)
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if not _NUMERIC_V4.match(text):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError as exc:
        raise AmbiguousAddress(f"{host!r} looks like an address but is none") from exc


def embedded_v4(addr: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, compatible, 6to4, Teredo, NAT64)."""
    if isinstance(addr, ipaddress.IPv4Address):
        return None
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr.sixtofour is not None:
        return addr.sixtofour
    if addr.teredo is not None:
        return addr.teredo[1]
    low = ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    if addr in _V4_COMPATIBLE or any(addr in net for net in _NAT64):
        return low
    return None


def non_public(addr: IPAddress) -> str | None:
    """Why ``addr`` is not a public unicast address, or None when it is."""
    if addr.is_unspecified:
        return "is the unspecified address (this host)"
    if isinstance(addr, ipaddress.IPv6Address) and addr in _V4_COMPATIBLE:
        return f"is an IPv4-compatible IPv6 address (carries {embedded_v4(addr)})"
    inner = embedded_v4(addr)
    if inner is not None and non_public(inner) is not None:
        return f"carries the non-public IPv4 address {inner}"
    if addr.is_multicast:
        return "is multicast"
    if not addr.is_global:
        return "is not a public address"
    return None


def canonical(addr: IPAddress) -> str:
    """The spelling a URL's host takes for ``addr`` (IPv6 in brackets)."""
    return f"[{addr}]" if isinstance(addr, ipaddress.IPv6Address) else str(addr)
