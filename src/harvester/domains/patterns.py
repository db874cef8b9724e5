"""Regular expressions that find candidate hosts, URLs, emails and obfuscations."""

from __future__ import annotations

import re

# Dots people type: ASCII, fullwidth, ideographic, halfwidth ideographic.
DOTS = ".．。｡"
_DOT = f"[{DOTS}]"
# A label: letters/digits of any script and hyphens (no underscore, no dot).
_LABEL = r"[^\W_](?:[^\W_]|-){0,62}"

# Anything that could be a domain at all: cheap test before the real work.
PREFILTER = re.compile(
    rf"{_DOT}|\bdot\b|@|,(?:com|net|org|shop|store|io|co|fr|de)\b", re.IGNORECASE
)
# Scripts written without spaces: text in them glues onto an ASCII host.
GLUED_SCRIPT = re.compile(
    "[\u0600-\u06ff\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uff00-\uffef]"
)

# Never start inside a word or right after "@": "@maison.paris" and "beauty_tips.co" are
# handles, and a match starting mid-run ("tips.co") would invent a domain.
URL = re.compile(
    rf"(?<![\w@])(?P<scheme>https?://)?(?P<www>www{_DOT})?"
    rf"(?P<host>{_LABEL}(?:{_DOT}{_LABEL})+)"
    r"(?P<port>:\d{1,5})?"
    r"(?P<path>[/?#][^\s<>\"'`]*)?",
    re.IGNORECASE,
)

EMAIL = re.compile(
    rf"(?<![\w.+-])[\w.+-]{{1,64}}@(?P<host>{_LABEL}(?:{_DOT}{_LABEL})+)",
    re.IGNORECASE,
)

# A TikTok/Instagram handle, dots included ("@maison.paris"): no local part before "@"
# (that would be an email) and no "/" (that is a URL path: "tiktok.com/@user.name").
HANDLE = re.compile(r"(?<![\w.+/-])@\w(?:[\w.]*\w)?")

# "example dot com", "example [.] com", "example(.)com", "example (dot) net",
# "example<dot>com", "example 'dot' com", "example-dot-com", "example . com" (a spaced
# dot). Group "labels" keeps every label before the TLD; "tld" may carry a second
# two-letter label typed plainly ("example[.]co.uk").
_OPEN = "[\\[\\(\\{<【（「]"
_CLOSE = "[\\]\\)\\}>】）」]"
_QUOTE = "[\"'‘’“”]"
BRACKETED = re.compile(rf"{_OPEN}\s*(?:\.|dot)\s*{_CLOSE}", re.IGNORECASE)
_SEP = (
    rf"(?:\s*{_OPEN}\s*(?:\.|dot)\s*{_CLOSE}\s*"
    rf"|\s+{_QUOTE}dot{_QUOTE}\s+"
    r"|\s*[-–—]\s*dot\s*[-–—]\s*"
    r"|\s+dot\s+"
    r"|\s+\.\s+)"
)
OBFUSCATED = re.compile(
    rf"(?<![\w.@])(?P<labels>[a-z0-9](?:[a-z0-9-]{{0,62}})(?:(?:{_SEP}|\.)[a-z0-9-]{{1,63}})*)"
    rf"{_SEP}(?P<tld>[a-z]{{2,24}}(?:\.[a-z]{{2}})?)(?![\w])",
    re.IGNORECASE,
)
SEP_ONLY = re.compile(_SEP, re.IGNORECASE)

# "example,com": a comma instead of a dot, only before the commonest TLDs.
COMMA = re.compile(
    r"(?<![\w.,@])(?P<name>[a-z0-9][a-z0-9-]{1,62}),(?P<tld>com|net|org|shop|store|io|co|fr|de)"
    r"(?![\w])",
    re.IGNORECASE,
)

TRAILING = ".,;:!?)]}>'\"”’»…"

# Cheap hints that a costlier scan can find something (skip it otherwise).
OBFUSCATION_HINT = re.compile(r"dot|[\[\(\{<【（「]\s*\.|\s\.\s", re.IGNORECASE)

# Ordinary phrases that read like a spaced "dot" mention: "back in the dot com days",
# "a dot net developer". The word before, or the word after, gives them away.
PHRASE_BEFORE = frozenset(
    [
        "the",
        "a",
        "an",
        "any",
        "every",
        "each",
        "that",
        "this",
        "these",
        "those",
        "my",
        "your",
        "his",
        "her",
        "its",
        "our",
        "their",
        "old",
        "early",
        "first",
        "big",
        "whole",
        "no",
        "some",
    ]
)
PHRASE_AFTER = re.compile(
    r"\s+(?:days?|era|boom|bubble|bust|crash|company|companies|startups?|millionaires?|"
    r"developers?|devs?|framework|core|stocks?|craze|mania)\b",
    re.IGNORECASE,
)
