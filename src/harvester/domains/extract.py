"""Find the registrable domains a comment mentions, with the evidence for each."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from harvester.domains import patterns
from harvester.domains.blocklist import DEFAULT_BLOCKLIST
from harvester.domains.normalize import Host, parse_host

# Suffixes that are also common file extensions: "video.mp4"-like text is a file name
# unless a scheme, "www." or a path says it is a web address.
FILE_LIKE_SUFFIXES = frozenset(
    {
        "py",
        "sh",
        "zip",
        "mov",
        "md",
        "rs",
        "pl",
        "ps",
        "so",
        "cc",
        "ai",
        "gz",
        "mp",
        "pm",
        "ts",
        "js",
        "tv",
        "am",
    }
)
# Well-known TLDs that make a bare mention trustworthy.
COMMON_TLDS = frozenset(
    {
        "com",
        "net",
        "org",
        "io",
        "co",
        "shop",
        "store",
        "app",
        "online",
        "site",
        "xyz",
        "info",
        "fr",
        "de",
        "uk",
        "es",
        "it",
        "nl",
        "eu",
        "ru",
        "рф",
        "jp",
        "cn",
        "kr",
        "br",
        "pt",
        "tr",
    }
)

# Framework names written like hosts: bare, they name the software, not the site.
BARE_NOT_DOMAINS = frozenset({"asp.net", "vb.net", "ado.net"})


@dataclass(frozen=True)
class DomainMatch:
    """One domain mention and its evidence."""

    domain: str
    ascii_domain: str
    host: str
    url: str | None
    obfuscated: bool
    email: bool
    confidence: float
    start: int
    end: int
    matched: str
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (reason only when filtered)."""
        # Spelled out: ``dataclasses.asdict`` deep-copies every field and cost the
        # CLI more than the extraction itself.
        out: dict[str, Any] = {
            "domain": self.domain,
            "ascii_domain": self.ascii_domain,
            "host": self.host,
            "url": self.url,
            "obfuscated": self.obfuscated,
            "email": self.email,
            "confidence": self.confidence,
            "start": self.start,
            "end": self.end,
            "matched": self.matched,
        }
        if self.reason is not None:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True)
class Extraction:
    domains: tuple[DomainMatch, ...]
    filtered: tuple[DomainMatch, ...]


_DOT_TABLE = str.maketrans("．。｡", "...")


def _dots(s: str) -> str:
    return s.translate(_DOT_TABLE)


def _trim_mixed(host: str, start: int) -> tuple[str, int]:
    """Cut CJK/Arabic/Thai text glued to an ASCII host ("访问example.com谢谢")."""
    if not patterns.GLUED_SCRIPT.search(host):
        return host, start
    labels = host.split(".")
    first = re.search(r"[a-z0-9-]+$", labels[0], re.IGNORECASE)
    if first and first.start() > 0 and patterns.GLUED_SCRIPT.search(labels[0]):
        start += first.start()
        labels[0] = first.group(0)
    last = re.match(r"[a-z]{2,}", labels[-1], re.IGNORECASE)
    if last and patterns.GLUED_SCRIPT.search(labels[-1]):
        labels[-1] = last.group(0)
    return ".".join(labels), start


def _plausible_bare(raw_host: str, host: Host) -> bool:
    """Reject bare hosts that are ordinary text: file names, 'end.Then', numbers."""
    last_raw = raw_host.rsplit(".", 1)[-1]
    if host.suffix in FILE_LIKE_SUFFIXES:
        return False
    if last_raw[:1].isupper() and last_raw[1:].islower() and len(last_raw) > 1:
        return False  # a sentence joined without a space: "end.Then"
    if host.ascii_host in BARE_NOT_DOMAINS:
        return False
    name = host.ascii_domain.split(".", 1)[0]
    # All-digit names are real ("163.com", "4399.com") but so is "3.14"-like text: trust
    # them only with a name of two digits or more under a common TLD.
    return not name.isdigit() or (len(name) > 1 and _last_label(host) in COMMON_TLDS)


def _last_label(host: Host) -> str:
    return host.suffix.rsplit(".", 1)[-1]


def _confidence(scheme: bool, www: bool, path: bool, host: Host) -> float:
    if scheme:
        return 0.99
    if www:
        return 0.97
    if path:
        return 0.93
    return 0.9 if host.suffix in COMMON_TLDS else 0.75


def _url_matches(text: str, taken: list[tuple[int, int]]) -> list[DomainMatch]:
    out = []
    for m in patterns.URL.finditer(text):
        if _overlaps(m.start(), m.end(), taken):
            continue
        raw_host, hstart = _trim_mixed(_dots(m.group("host")), m.start("host"))
        host = parse_host(raw_host)
        scheme, www, path = bool(m.group("scheme")), bool(m.group("www")), bool(m.group("path"))
        if host is None or (not (scheme or www or path) and not _plausible_bare(raw_host, host)):
            continue
        start = m.start() if (scheme or www) else hstart
        end = hstart + len(raw_host)  # dot variants are one character: spans line up
        url = None
        if scheme or www or path:
            tail = (m.group("port") or "") + (m.group("path") or "").rstrip(patterns.TRAILING)
            if tail and end == m.end("host"):
                end += len(tail)
            prefix = (m.group("scheme") or "http://").lower() + ("www." if www else "")
            url = f"{prefix}{host.host}{tail}"
        out.append(
            DomainMatch(
                host.domain,
                host.ascii_domain,
                host.host,
                url,
                False,
                False,
                _confidence(scheme, www, path, host),
                start,
                end,
                text[start:end],
            )
        )
        taken.append((start, end))
    return out


def _email_matches(text: str, taken: list[tuple[int, int]]) -> list[DomainMatch]:
    out: list[DomainMatch] = []
    if "@" not in text:
        return out
    for m in patterns.EMAIL.finditer(text):
        host = parse_host(_dots(m.group("host")))
        if host is None:
            continue
        out.append(
            DomainMatch(
                host.domain,
                host.ascii_domain,
                host.host,
                None,
                False,
                True,
                0.9,
                m.start(),
                m.end(),
                m.group(0),
            )
        )
        taken.append((m.start(), m.end()))
    return out


def _mark_handles(text: str, taken: list[tuple[int, int]]) -> None:
    """Handles are not domains: their spans are taken so no later scan reads one."""
    for m in patterns.HANDLE.finditer(text):
        if not _overlaps(m.start(), m.end(), taken):
            taken.append((m.start(), m.end()))


def _obfuscated(host: Host, m: re.Match[str], confidence: float) -> DomainMatch:
    """A mention typed to dodge filters: no URL, flagged, with its own confidence."""
    return DomainMatch(
        host.domain,
        host.ascii_domain,
        host.host,
        None,
        True,
        False,
        confidence,
        m.start(),
        m.end(),
        m.group(0),
    )


def _is_phrase(text: str, m: re.Match[str]) -> bool:
    """ "back in the dot com days", "a dot net developer": words, not an address."""
    labels = m.group("labels")
    single = patterns.SEP_ONLY.search(labels) is None and "." not in labels
    if single and labels.lower() in patterns.PHRASE_BEFORE:
        return True
    return patterns.PHRASE_AFTER.match(text, m.end()) is not None


def _defanged(text: str, m: re.Match[str]) -> DomainMatch | None:
    labels = patterns.SEP_ONLY.sub(".", m.group("labels"))
    host = parse_host(f"{labels}.{m.group('tld')}")
    if host is None or host.suffix in FILE_LIKE_SUFFIXES:
        return None
    if patterns.BRACKETED.search(m.group(0)):
        return _obfuscated(host, m, 0.85)  # "[.]" is typed on purpose: any real suffix
    if _last_label(host) not in COMMON_TLDS or _is_phrase(text, m):
        return None
    return _obfuscated(host, m, 0.8)


def _obfuscated_matches(text: str, taken: list[tuple[int, int]]) -> list[DomainMatch]:
    out: list[DomainMatch] = []
    hinted = patterns.OBFUSCATION_HINT.search(text) is not None
    for m in patterns.OBFUSCATED.finditer(text) if hinted else ():
        if _overlaps(m.start(), m.end(), taken):
            continue
        found = _defanged(text, m)
        if found is not None:
            out.append(found)
            taken.append((m.start(), m.end()))
    for m in patterns.COMMA.finditer(text) if "," in text else ():
        if _overlaps(m.start(), m.end(), taken):
            continue
        host = parse_host(f"{m.group('name')}.{m.group('tld')}")
        if host is None or m.group("name").isdigit():
            continue
        out.append(_obfuscated(host, m, 0.6))  # a comma is the weaker evidence
        taken.append((m.start(), m.end()))
    return out


def _overlaps(start: int, end: int, taken: list[tuple[int, int]]) -> bool:
    return any(start < e and s < end for s, e in taken)


def extract(
    text: str, *, blocklist: frozenset[str] | None = None, include_emails: bool = True
) -> Extraction:
    """The registrable domains ``text`` mentions (first mention of each keeps the
    evidence), and the blocklisted ones apart in ``filtered``."""
    if not text or not patterns.PREFILTER.search(text):
        return Extraction((), ())
    taken: list[tuple[int, int]] = []
    emails = _email_matches(text, taken)
    if "@" in text:
        _mark_handles(text, taken)
    found = sorted(
        [
            *(emails if include_emails else []),
            *_url_matches(text, taken),
            *_obfuscated_matches(text, taken),
        ],
        key=lambda d: d.start,
    )
    blocked = DEFAULT_BLOCKLIST if blocklist is None else blocklist
    kept: dict[str, DomainMatch] = {}
    filtered: dict[str, DomainMatch] = {}
    for d in found:
        if d.domain in blocked or d.ascii_domain in blocked:
            filtered.setdefault(d.domain, _with_reason(d, "blocklisted"))
        else:
            kept.setdefault(d.domain, d)
    return Extraction(tuple(kept.values()), tuple(filtered.values()))


def _with_reason(d: DomainMatch, reason: str) -> DomainMatch:
    return DomainMatch(**{**asdict(d), "reason": reason})
