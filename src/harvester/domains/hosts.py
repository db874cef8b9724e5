"""What kind of host a domain is: a site, a link shortener or a link-in-bio page.

A mention of ``bit.ly/xyz`` names the shortener, not the site it leads to; the
resolution function follows such links. The lists hold well-known services only.
"""

from __future__ import annotations

import enum

from harvester.domains.normalize import icann_domain


class DomainKind(enum.StrEnum):
    SITE = "site"
    SHORTENER = "shortener"
    LINK_IN_BIO = "link_in_bio"


SHORTENERS: frozenset[str] = frozenset(
    {
        "bit.ly",
        "bitly.com",
        "t.co",
        "tinyurl.com",
        "tiny.cc",
        "goo.gl",
        "ow.ly",
        "is.gd",
        "buff.ly",
        "rebrand.ly",
        "cutt.ly",
        "shorturl.at",
        "rb.gy",
        "t.ly",
        "s.id",
        "bl.ink",
        "lnkd.in",
        "amzn.to",
        "a.co",
        "shope.ee",
        "qrco.de",
        "tr.ee",
    }
)
LINK_IN_BIO: frozenset[str] = frozenset(
    {
        "linktr.ee",
        "beacons.ai",
        "lnk.bio",
        "campsite.bio",
        "solo.to",
        "bio.link",
        "linkin.bio",
        "taplink.cc",
        "carrd.co",
        "hoo.be",
        "snipfeed.co",
        "stan.store",
        "komi.io",
        "allmylinks.com",
        "linkbio.co",
    }
)


def host_kind(domain: str, extra_shorteners: frozenset[str] = frozenset()) -> DomainKind:
    """The kind of a registrable domain (``extra_shorteners``: configured additions).

    A page on a shared platform is of the platform's kind: ``mylinks.carrd.co`` is a
    link-in-bio page as ``carrd.co`` is (the Public Suffix List's private section
    makes the page its own domain)."""
    name = domain.lower()
    kind = _kind(name, extra_shorteners)
    if kind is DomainKind.SITE:
        icann = icann_domain(name)
        if icann is not None and icann != name:
            return _kind(icann, extra_shorteners)
    return kind


def _kind(name: str, extra_shorteners: frozenset[str]) -> DomainKind:
    if name in SHORTENERS or name in extra_shorteners:
        return DomainKind.SHORTENER
    if name in LINK_IN_BIO:
        return DomainKind.LINK_IN_BIO
    return DomainKind.SITE
