"""Find the registrable domains a comment mentions, with the evidence for each.

Order of evidence: a URL's host wins over anything in its userinfo, path or query;
then e-mail addresses (reported apart: an address names a mailbox, not a site);
then bare names, spaced letters, obfuscations ("dot" in a dozen languages, "[.]",
bullets) and "name,com".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from harvester.domains import patterns, words
from harvester.domains.blocklist import DEFAULT_BLOCKLIST
from harvester.domains.normalize import Host, parse_host
from harvester.domains.prepare import original_span, prepare

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
# A capitalised last label is a sentence glued to the next one ("end.Then",
# "it.It") unless it is one of these ("Shopee.Com").
_CAPITAL_OK = frozenset({"com", "net", "org", "shop", "store", "online", "site", "info", "xyz"})
# Framework names written like hosts: bare, they name the software, not the site.
BARE_NOT_DOMAINS = frozenset({"asp.net", "vb.net", "ado.net"})
# Every suffix some spelled "dot" may be written before.
_SPELLED_TLDS = words.GENERIC_TLDS.union(*words.LANGUAGE_TLDS.values(), COMMON_TLDS)


@dataclass(frozen=True)
class DomainMatch:
    """One domain mention and its evidence.

    ``domain`` counts the Public Suffix List's private section (a shop on a shared
    platform: ``bloom.myshopify.com``); ``icann_domain`` is the name under the ICANN
    suffix (``myshopify.com``), equal to ``domain`` for most hosts. ``deceptive``: a
    URL whose userinfo looks like another site (``https://instagram.com@prize.shop``).
    """

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
    icann_domain: str
    deceptive: bool = False
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: every field in order, ``reason`` only when filtered."""
        # A copy of the instance's own dict (one C call): ``dataclasses.asdict``
        # deep-copies every field and cost the CLI more than the extraction itself.
        out = self.__dict__.copy()
        if out["reason"] is None:
            del out["reason"]
        return out


@dataclass(frozen=True)
class Extraction:
    """``domains``: the sites mentioned. ``filtered``: reported apart, never dropped
    silently: blocklisted platforms (reason ``blocklisted``) and e-mail addresses
    (reason ``email``, unless ``include_emails=False``)."""

    domains: tuple[DomainMatch, ...]
    filtered: tuple[DomainMatch, ...]


_EMPTY = Extraction((), ())


# A mention before its span is mapped back to the original text:
# (start, end, host, url, confidence, flags), flags a sum of these.
_OBF, _EMAIL, _DECEPTIVE = 1, 2, 4
_FLAGS = [(bool(f & _OBF), bool(f & _EMAIL), bool(f & _DECEPTIVE)) for f in range(8)]
_Found = tuple[int, int, Host, "str | None", float, int]
_Taken = list[tuple[int, int]]


def extract(
    text: str, *, blocklist: frozenset[str] | None = None, include_emails: bool = True
) -> Extraction:
    """The registrable domains ``text`` mentions (first mention of each keeps the
    evidence); the blocklisted ones and e-mail addresses apart in ``filtered``."""
    if not text:
        return _EMPTY
    if _PUNCT_TRIGGER(text) is None:
        # Most comments: no dot before a letter, no "@", nothing invisible inside a
        # word. Only a spelled "dot" can still be there.
        if _WORD_TRIGGER(text.lower()) is None:
            return _EMPTY
        spelled: bool | None = True
    else:
        spelled = None
    return _extract(text, spelled, blocklist, include_emails)


_PUNCT_TRIGGER = patterns.PUNCT_TRIGGER.search
_NEEDS_PREP = patterns.NEEDS_PREP.search
_WORD_TRIGGER = patterns.WORD_TRIGGER.search


def _extract(
    text: str, spelled: bool | None, blocklist: frozenset[str] | None, include_emails: bool
) -> Extraction:
    if text.isascii() or _NEEDS_PREP(text) is None:
        t, index = text, None
    else:
        t, index = prepare(text)
    taken: _Taken = []
    sites: list[_Found] = []
    emails: list[_Found] = []
    bare: list[_Found] = []
    if "." in t:
        _urls(t, taken, sites, bare)
    if "@" in t:
        _userinfo_urls(t, taken, sites)
        _emails(t, taken, emails)
        for m in patterns.HANDLE.finditer(t):
            if not _overlaps(m.start(), m.end(), taken):
                taken.append(m.span())
    for f in bare:
        start, end, host = f[0], f[1], f[2]
        if taken and _overlaps(start, end, taken):
            continue
        if not _plausible_bare(t, host, start, end):
            continue
        # An "at" ends in "t", "@", "a" (arroba) or a bracket, before the space if any.
        at = (
            _at_before(t, start, host)
            if start and (t[start - 1] in _AT_LAST or t[start - 2 : start - 1] in _AT_LAST)
            else None
        )
        if at is not None:
            if at:
                emails.append((start, end, host, None, 0.9, _EMAIL))
            taken.append((start, end))
            continue
        sites.append(f)
        taken.append((start, end))
    if spelled is None:
        spelled = _WORD_TRIGGER(t.lower()) is not None
    if spelled or _OBF_PUNCT(t) is not None:
        _obfuscations(t, taken, sites, emails)
    if "," in t:
        _comma(t, taken, sites)
    if not sites and not emails:
        return _EMPTY
    return _result(text, index, sites, emails, blocklist, include_emails)


_OBF_PUNCT = patterns.OBFUSCATION_PUNCT.search


def _result(
    text: str,
    index: list[int] | None,
    sites: list[_Found],
    emails: list[_Found],
    blocklist: frozenset[str] | None,
    include_emails: bool,
) -> Extraction:
    blocked = DEFAULT_BLOCKLIST if blocklist is None else blocklist
    if len(sites) == 1 and not emails:  # the common case: one mention
        f = sites[0]
        h = f[2]
        if h.domain in blocked or h.ascii_domain in blocked:
            return _extraction((), (_match(text, index, f, "blocklisted"),))
        return _extraction((_match(text, index, f, None),), ())
    kept: dict[str, DomainMatch] = {}
    filtered: dict[str, DomainMatch] = {}
    if len(sites) > 1:
        sites.sort(key=_start)
    for f in sites:
        h = f[2]
        name = h.domain
        if name in kept or name in filtered:
            continue
        if name in blocked or h.ascii_domain in blocked:
            filtered[name] = _match(text, index, f, "blocklisted")
        else:
            kept[name] = _match(text, index, f, None)
    if include_emails and emails:
        emails.sort(key=_start)
        for f in emails:
            name = f[2].domain
            if name not in kept and name not in filtered:
                filtered[name] = _match(text, index, f, "email")
    return _extraction(tuple(kept.values()), tuple(filtered.values()))


def _extraction(domains: tuple[DomainMatch, ...], filtered: tuple[DomainMatch, ...]) -> Extraction:
    out = _new(Extraction)
    _set(out, "__dict__", {"domains": domains, "filtered": filtered})
    return out


def _start(f: _Found) -> int:
    return f[0]


_new = object.__new__
_set = object.__setattr__


def _match(text: str, index: list[int] | None, f: _Found, reason: str | None) -> DomainMatch:
    start, end, h, url, confidence, flags = f
    if index is not None:
        start, end = original_span(index, start, end)
    obfuscated, email, deceptive = _FLAGS[flags]
    # The frozen dataclass's __init__ sets its 13 fields one object.__setattr__ at a
    # time: five times the cost of the rest of a mention. One dict, set once, is the
    # same instance (equality, hash and repr included).
    d = _new(DomainMatch)
    _set(
        d,
        "__dict__",
        {
            "domain": h.domain,
            "ascii_domain": h.ascii_domain,
            "host": h.host,
            "url": url,
            "obfuscated": obfuscated,
            "email": email,
            "confidence": confidence,
            "start": start,
            "end": end,
            "matched": text[start:end],
            "icann_domain": h.icann_domain,
            "deceptive": deceptive,
            "reason": reason,
        },
    )
    return d


def _overlaps(start: int, end: int, taken: _Taken) -> bool:
    for s, e in taken:  # noqa: SIM110 (see _has_any)
        if start < e and s < end:
            return True
    return False


# --- URLs and bare names ----------------------------------------------------------


def _trim_mixed(host: str, start: int) -> tuple[str, int]:
    """Cut CJK/Arabic/Thai text glued to an ASCII host ("访问example.com谢谢")."""
    if host.isascii() or not patterns.GLUED_SCRIPT.search(host):
        return host, start
    labels = host.split(".")
    first = patterns.ASCII_TAIL.search(labels[0])
    if first and first.start() > 0 and patterns.GLUED_SCRIPT.search(labels[0]):
        start += first.start()
        labels[0] = first.group(0)
    last = patterns.ASCII_HEAD.match(labels[-1])
    if last and patterns.GLUED_SCRIPT.search(labels[-1]):
        labels[-1] = last.group(0)
    return ".".join(labels), start


_DOT_ANCHOR = patterns.DOT_ANCHOR.search
_URL = patterns.URL.search


def _urls(t: str, taken: _Taken, sites: list[_Found], bare: list[_Found]) -> None:
    """URLs (scheme, "www." or a path) now; bare names into ``bare``, for after the
    e-mail addresses (whose local part may look like a name: "shop.com@gmail.com").

    Only the whitespace-delimited words holding a dot before a letter are scanned."""
    n = len(t)
    lines = "\n" in t
    done = 0
    while t.find(".", done) >= 0 and (a := _DOT_ANCHOR(t, done)) is not None:
        p = a.start()
        pos = max(t.rfind(" ", done, p), t.rfind("\n", done, p) if lines else -1, done - 1) + 1
        stop = t.find(" ", p)
        if stop < 0:
            stop = n
        if lines:
            nl = t.find("\n", p, stop)
            if nl >= 0:
                stop = nl
        done = stop
        while pos < stop and (m := _URL(t, pos, stop)) is not None:
            pos = m.end()
            scheme, userinfo, www, raw_host, port, path = m.groups()
            hstart = m.start(4)
            if not raw_host.isascii():
                raw_host, hstart = _trim_mixed(raw_host, hstart)
            host = parse_host(raw_host)
            if host is None:
                continue
            hend = hstart + len(raw_host)
            if hend != m.end(4):  # CJK text glued after the host: no path is ours
                port = path = None
            elif path and not scheme and not www and patterns.PATH_OF_NAMES.fullmatch(path):
                path = None  # "a.com/b.com": a list of names, not a path
                pos = hend
            if path:
                cut = patterns.PATH_LIST_CUT.search(path)
                if cut is not None:  # "…/x,b.com": the list goes on after the comma
                    path = path[: cut.start()]
                    pos = m.start(6) + cut.start()
            if not (scheme or www or path):
                confidence = 0.9 if host.tld in COMMON_TLDS else 0.75
                bare.append((hstart, hend, host, None, confidence, 0))
                continue
            start = m.start() if (scheme or www) else hstart
            tail = (port or "") + (path or "").rstrip(patterns.TRAILING)
            end = hend + len(tail)
            flags = 0
            if scheme:
                prefix = scheme.lower()
                if prefix[1] != "t":  # "hxxps://", "h**ps://": defanged on purpose
                    prefix = "https://" if prefix.endswith("s://") else "http://"
                    flags = _OBF
                confidence = 0.99
            else:
                prefix = "http://"
                confidence = 0.97 if www else 0.93
            if userinfo is not None and "." in userinfo:
                flags |= _DECEPTIVE  # "https://instagram.com@prize-desk.shop"
            url = f"{prefix}{'www.' if www else ''}{host.host}{tail}"
            sites.append((start, end, host, url, confidence, flags))
            taken.append((start, end))


def _userinfo_urls(t: str, taken: _Taken, sites: list[_Found]) -> None:
    """ "user:secret@host" is a URL's userinfo, not an address; "email:bia@gmail.com"
    and anything at a webmail host stay addresses."""
    if ":" not in t:
        return
    for m in patterns.USERINFO_URL.finditer(t):
        user = m.group("user")
        if user.lower() in words.EMAIL_LABELS:
            continue
        raw_host, hstart = _trim_mixed(m.group("host"), m.start("host"))
        host = parse_host(raw_host)
        if host is None or host.domain in words.WEBMAIL:
            continue
        if _overlaps(m.start(), m.end(), taken):
            continue
        hend = hstart + len(raw_host)
        path = (m.group("path") or "").rstrip(patterns.TRAILING)
        end = hend + len(path) if hend == m.end("host") else hend
        flags = _DECEPTIVE if "." in user else 0
        sites.append((m.start(), end, host, f"http://{host.host}{path}", 0.9, flags))
        taken.append((m.start(), end))


def _emails(t: str, taken: _Taken, emails: list[_Found]) -> None:
    for m in patterns.EMAIL.finditer(t):
        if _overlaps(m.start(), m.end(), taken):
            continue
        raw_host, _ = _trim_mixed(m.group("host"), m.start("host"))
        host = parse_host(raw_host)
        end = m.start("host") + len(raw_host)
        if host is not None:
            emails.append((m.start(), end, host, None, 0.9, _EMAIL))
        taken.append((m.start(), end))


def _words_around(t: str, start: int, end: int) -> tuple[str, str, str]:
    """The two words before ``start`` and the word after ``end``, lower case."""
    before = t[max(0, start - 40) : start].lower().split()
    prev = before[-1].strip(":;,-–—>(\"'") if before else ""
    prev2 = before[-2] if len(before) > 1 else ""
    after = patterns.NEXT_WORD.match(t, end)
    return prev, prev2, after.group(1).lower() if after else ""


def _plausible_bare(t: str, host: Host, start: int, end: int) -> bool:
    """Reject bare hosts that are ordinary text: file names, 'end.Then', numbers."""
    tld = host.tld
    dot = t.rfind(".", start, end) + 1
    if t[dot].isupper() and tld not in _CAPITAL_OK:
        last_raw = t[dot:end]
        if len(last_raw) > 1 and last_raw[1:].islower() and "." not in host.suffix:
            return False  # a sentence joined without a space: "end.Then"
    if host.ascii_domain[0].isdigit():
        # All-digit names are real ("163.com", "4399.com") but so is "3.14"-like text:
        # trust them only with a name of two digits or more under a common TLD.
        name = host.ascii_domain.split(".", 1)[0]
        if name.isdigit() and (len(name) < 2 or tld not in COMMON_TLDS):
            return False
    if tld in _FILE_LIKE:
        return _site_not_file(t, tld, start, end)
    return host.ascii_host not in BARE_NOT_DOMAINS


_FILE_LIKE = words.FILE_FIRST_TLDS | words.SITE_FIRST_TLDS


def _site_not_file(t: str, tld: str, start: int, end: int) -> bool:
    """ "glowcheck.ai" in a sentence is a site; "weights.pt" or "open logo.ai" a file;
    "script.py" a file unless a site word comes before it ("website bun.sh")."""
    prev, prev2, nxt = _words_around(t, start, end)
    if tld in words.FILE_FIRST_TLDS:
        return prev in words.SITE_WORDS_BEFORE
    stem = t[start:end].rsplit(".", 1)[0].lower()
    if stem in words.FILE_STEMS or nxt in words.FILE_WORDS_AFTER:
        return False
    return prev not in words.FILE_WORDS_BEFORE and prev2 not in words.FILE_WORDS_BEFORE


# What an address's "at" ends with, right before the host: a space, a bracket, "@".
_AT_ENDS = frozenset(" \t\n\u3000)]}>】）」〕@")
_CLOSERS = frozenset(")]}>】）」〕")
_AT_LAST = frozenset("tTaA@)]}>】）」〕")
_AT_WORDS = frozenset({"at", "AT", "@", "arroba", "Arroba", "ARROBA"})


def _at_before(t: str, start: int, host: Host) -> bool | None:
    """What comes right before a name: True for an e-mail address ("bob [at] gmail",
    "nombre arroba gmail", "hello at gmail dot com"), False for a handle ("@brand
    dot com"), None for neither."""
    if start == 0:
        return None
    c = t[start - 1]
    if c != "@" and c not in _CLOSERS:
        if c not in _AT_ENDS:
            return None
        # a space: the word before must be an "at" or end with a bracket
        word = t[max(0, start - 12) : start - 1].rstrip().rpartition(" ")[2]
        if word not in _AT_WORDS and word[-1:] not in _CLOSERS:
            return None
    before = t[max(0, start - 24) : start]
    m = patterns.AT_BEFORE.search(before)
    if m is None:
        return None
    if m.group("handle"):
        return False
    word = m.group("word")
    if word is not None and word.strip() in ("at", "@") and host.domain not in words.WEBMAIL:
        # "find it at shop dot com", "DM @ shop.com": a site; "hello at shop dot com"
        # an address.
        local = before[: m.start()].split()
        if not local or local[-1].lower() not in words.EMAIL_LOCALS:
            return None
    return True


# --- obfuscations -----------------------------------------------------------------

_SEP_STRIP = "".join(patterns.SEP_CHARS)
_WORD_IN_SEP = re.compile("|".join(sorted(words.DOT_WORDS, key=len, reverse=True)))


def _obfuscations(t: str, taken: _Taken, sites: list[_Found], emails: list[_Found]) -> None:
    """Spelled and bracketed dots, bullets, spaced letters: read from each anchor (a
    separator) back to the name before it."""
    low = t.lower()
    if len(low) != len(t):  # a rare letter whose lower case is longer: no anchors
        anchors = [m.start() for m in patterns.SEP_ONLY.finditer(t)]
    else:
        anchors = [m.start() for m in patterns.OBFUSCATION_ANCHOR.finditer(low)]
    if not anchors:
        return
    _spaced(t, taken, sites)
    match = patterns.OBFUSCATED.match
    done = 0
    for a in anchors:
        if a < done or _inside(a, taken):
            continue
        i = _name_start(t, a)
        name = low[i:a].rstrip(_SEP_STRIP)
        if not name or (name in words.STOP_NAMES and low[a : a + 1].isalpha()):
            # No name before it ("Punkt 8 Uhr", "dot dot dot"), or a word no chain
            # starts with ("the point is", "o ponto de").
            continue
        m = match(t, i)
        if m is None or m.end() <= a or _overlaps(m.start(), m.end(), taken):
            continue
        verdict = _read_obfuscated(t, m)
        if verdict is None:
            continue  # not an address; a later anchor may start a shorter chain
        host, start, at, confidence = verdict
        done = m.end()
        if at is False:  # a handle: "@brand dot com"
            taken.append((start, m.end()))
            continue
        if at:
            emails.append((start, m.end(), host, None, 0.85, _OBF | _EMAIL))
        else:
            sites.append((start, m.end(), host, None, confidence, _OBF))
        taken.append((start, m.end()))


def _inside(pos: int, taken: _Taken) -> bool:
    for s, e in taken:  # noqa: SIM110 (see _has_any)
        if s <= pos < e:
            return True
    return False


def _name_start(t: str, a: int) -> int:
    """Where the name before the separator at ``a`` starts: back over the separator's
    own characters (spaces, brackets, quotes, dashes), then over the name's labels."""
    i = a
    seps = patterns.SEP_CHARS
    while i > 0 and t[i - 1] in seps:
        i -= 1
    while i > 0:
        c = t[i - 1]
        if c.isalnum() or c == "-" or c == "." or c in patterns.MARK_CHARS:
            i -= 1
        else:
            break
    while i < a and not t[i].isalnum():  # a name starts with a letter or digit
        i += 1
    return i


def _read_obfuscated(t: str, m: re.Match[str]) -> tuple[Host, int, bool | None, float] | None:
    """The host an obfuscation spells and whether it is an address, or None when it
    is not one ("the dot com days", "el punto es que", "o ponto de ônibus")."""
    labels_raw = m.group("labels")
    tld_raw = m.group("tld")
    tld = words.SPELLED_SUFFIXES.get(tld_raw.lower(), tld_raw)
    joined = patterns.SEP_ONLY.sub(".", labels_raw)
    name, start = _trim_mixed(f"{joined}.{tld}", m.start())
    host = parse_host(name)
    if host is None or host.tld in words.FILE_FIRST_TLDS:
        return None
    at = _at_before(t, start, host)
    seps = t[start : m.start("tld")]
    if patterns.STRONG_SEP.search(seps) is not None:
        return host, start, at, 0.85  # "[.]", "(dot)", "shop•com": typed on purpose
    first = name.split(".", 1)[0].lower()
    if first in words.STOP_NAMES or first in words.DOT_WORDS or tld.lower() in words.DOT_WORDS:
        return None  # "the dot com days", "dot dot dot"
    if first.isdigit() and len(first) < 2:
        return None
    nxt = patterns.NEXT_WORD.match(t, m.end())
    if nxt is not None and nxt.group(1).lower() in words.PHRASE_AFTER_WORDS:
        return None
    if "." in host.suffix:
        return host, start, at, 0.8  # a two-level suffix: "shop ponto com ponto br"
    langs = {words.DOT_WORDS[w] for w in _WORD_IN_SEP.findall(seps.lower())}
    if (
        host.tld in _wordish(langs)
        and patterns.CONTINUES.match(t, m.end())
        and not _MADE_UP.search(first)
    ):
        # "el punto es que…": a suffix that is a word ends the sentence, unless the
        # name is no word at all ("shop24 dot it and…")
        return None
    if not langs:  # a spaced dot or bullet: " . "
        return (host, start, at, 0.8) if host.tld in _SPELLED_TLDS else None
    if "en" in langs or host.tld in words.GENERIC_TLDS:
        return host, start, at, 0.8
    if any(host.tld in words.LANGUAGE_TLDS[lang] for lang in langs):
        return host, start, at, 0.8
    return None


# A digit or a dash inside a name: no word of running text ("shop24", "zapatos-baratos").
_MADE_UP = re.compile(r"[0-9-]")


def _wordish(langs: set[str]) -> frozenset[str]:
    """The suffixes that are everyday words in these languages (all of them when the
    language is unknown: a spaced dot)."""
    if not langs:
        return words.ANY_WORDISH_TLDS
    if len(langs) == 1:
        return words.WORDISH_TLDS.get(next(iter(langs)), frozenset())
    return frozenset().union(*(words.WORDISH_TLDS.get(lang, frozenset()) for lang in langs))


def _spaced(t: str, taken: _Taken, sites: list[_Found]) -> None:
    """ "s h o p . c o m": single letters, the whole run."""
    if patterns.SPACED_HINT.search(t) is None and not (t[1:2] == " " and t[3:4] in " .•·"):
        return
    for m in patterns.SPACED.finditer(t):
        if _overlaps(m.start(), m.end(), taken):
            continue
        name = patterns.SPACED_SEP.sub(".", m.group("run")).replace(" ", "")
        host = parse_host(name)
        if host is None or host.tld not in _SPELLED_TLDS:
            continue
        if host.tld in words.ANY_WORDISH_TLDS and patterns.CONTINUES.match(t, m.end()):
            continue
        sites.append((m.start(), m.end(), host, None, 0.7, _OBF))
        taken.append((m.start(), m.end()))


def _comma(t: str, taken: _Taken, sites: list[_Found]) -> None:
    for m in patterns.COMMA.finditer(t):
        comma = m.start()
        n = patterns.COMMA_NAME.search(t, max(0, comma - 63), comma)
        if n is None or n.group(0).isdigit() or _overlaps(n.start(), m.end(), taken):
            continue
        host = parse_host(f"{n.group(0)}.{m.group('tld')}")
        if host is None:
            continue
        sites.append((n.start(), m.end(), host, None, 0.6, _OBF))
        taken.append((n.start(), m.end()))
