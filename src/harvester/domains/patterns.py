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

URL = re.compile(
    rf"(?P<scheme>https?://)?(?P<www>www{_DOT})?"
    rf"(?P<host>{_LABEL}(?:{_DOT}{_LABEL})+)"
    r"(?P<port>:\d{1,5})?"
    r"(?P<path>[/?#][^\s<>\"'`]*)?",
    re.IGNORECASE,
)

EMAIL = re.compile(
    rf"(?<![\w.+-])[\w.+-]{{1,64}}@(?P<host>{_LABEL}(?:{_DOT}{_LABEL})+)",
    re.IGNORECASE,
)

# "example dot com", "example [.] com", "example(.)com", "example (dot) net",
# "example . com" (a spaced dot). Group "labels" keeps every label before the TLD.
_SEP = (
    r"(?:\s*[\[\(\{]\s*(?:\.|dot)\s*[\]\)\}]\s*"
    r"|\s+dot\s+"
    r"|\s+\.\s+)"
)
OBFUSCATED = re.compile(
    rf"(?<![\w.])(?P<labels>[a-z0-9](?:[a-z0-9-]{{0,62}})(?:(?:{_SEP}|\.)[a-z0-9-]{{1,63}})*)"
    rf"{_SEP}(?P<tld>[a-z]{{2,24}})(?![\w])",
    re.IGNORECASE,
)
SEP_ONLY = re.compile(_SEP, re.IGNORECASE)

# "example,com": a comma instead of a dot, only before the commonest TLDs.
COMMA = re.compile(
    r"(?<![\w.,])(?P<name>[a-z0-9][a-z0-9-]{1,62}),(?P<tld>com|net|org|shop|store|io|co|fr|de)"
    r"(?![\w])",
    re.IGNORECASE,
)

TRAILING = ".,;:!?)]}>'\"”’»…"

# Cheap hints that a costlier scan can find something (skip it otherwise).
OBFUSCATION_HINT = re.compile(r"dot|[\[\(\{]\s*\.|\s\.\s", re.IGNORECASE)
