"""Regular expressions that find candidate hosts, URLs, emails and obfuscations.

They run on the *prepared* text (see ``prepare``): invisible characters removed,
fullwidth ASCII folded to ASCII, ideographic dots next to ASCII turned into ".".
"""

from __future__ import annotations

import re

from harvester.domains.words import DOT_WORDS, GLUED_DOT_WORDS, SPELLED_SUFFIXES

# --- what the raw text must contain for anything to be found (the fast path) -------

# Invisible characters removed before matching: zero-width space / non-joiner /
# joiner, LRM/RLM and the bidi embeddings, word joiner and invisible operators, the
# bidi isolates, BOM, soft hyphen, combining grapheme joiner, Arabic letter mark,
# Mongolian vowel separator, variation selectors.
INVISIBLE = (
    "\u00ad\u034f\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufe00-\ufe0f\ufeff"
)
# Dots typed between labels on purpose (bullets, middle dots) and CJK full stops.
BULLETS = "•·・∙⋅"
# One pass over the raw text, starting with a set of characters so the regex engine
# skips to the next one in C: a dot or bullet before a letter, a spaced dot or
# bullet, an ideographic dot before an ASCII letter, "@", an invisible character in a
# word, a comma glued to a word.
PUNCT_TRIGGER = re.compile(
    rf"[.{BULLETS}．。｡@＠,{INVISIBLE}]"
    rf"(?:(?<=[.{BULLETS}．])(?=[^\W\d_]{{2}}|\s*[\]\)\}}>】）」〕］）｝＞])"
    rf"|(?<=\s[.{BULLETS}])(?=\s)"
    r"|(?<=[。｡])(?=[A-Za-zＡ-Ｚａ-ｚ0-9])"
    r"|(?<=[@＠])"
    # an invisible character next to a letter or a dot (not inside an emoji sequence:
    # "❤️", "👩‍👩‍👧" carry a variation selector or a joiner)
    rf"|(?<=[\w.][{INVISIBLE}])|(?<=[{INVISIBLE}])(?=[\w.])"
    r"|(?<=,)(?=[A-Za-z]{2}))"
)
# The spelled "dot" words, looked for in the lower-cased raw text.
_WORDS = "|".join(sorted(map(re.escape, DOT_WORDS), key=len, reverse=True))
WORD_TRIGGER = re.compile(_WORDS)

# --- preparing the text -------------------------------------------------------------

NEEDS_PREP = re.compile(rf"[{INVISIBLE}\uff01-\uff5e。｡]")
INVISIBLE_RUN = re.compile(f"[{INVISIBLE}]+")
# Fullwidth ASCII (U+FF01..U+FF5E) folds to ASCII one character for one, so spans
# keep their offsets; the fullwidth full stop is left to the rule below.
FULLWIDTH = str.maketrans({chr(c): chr(c - 0xFEE0) for c in range(0xFF01, 0xFF5F) if c != 0xFF0E})
# A CJK full stop counts as a dot only between ASCII letters or digits.
CJK_DOT = re.compile(r"(?<=[A-Za-z0-9])[。｡．](?=[A-Za-z0-9])")

# --- hosts and URLs -----------------------------------------------------------------

# Combining marks of the scripts in TikTok's markets (Thai vowels and tones, Arabic
# harakat, Devanagari signs, Latin accents typed apart): inside a label, not a break.
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670"
    "\u06d6-\u06ed\u0900-\u0903\u093a-\u094f\u0951-\u0957\u0962\u0963"
    "\u0981-\u0983\u09bc-\u09d7\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u0eb1"
    "\u0eb4-\u0ebc\u0ec8-\u0ecd\u1ab0-\u1aff\u1dc0-\u1dff\u3099\u309a"
)
# A label: letters/digits of any script, their marks and hyphens. One character class
# per character (an alternation per character made the URL scan three times slower);
# an underscore may be read into a label, which then fails validation: "beauty_tips.co"
# is a handle, never "tips.co".
_LABEL = rf"\w[\w{_MARKS}-]{{0,62}}"
# Never start inside a word or right after "@": "@maison.paris" and "beauty_tips.co" are
# handles, and a match starting mid-run ("tips.co") would invent a domain. Case is
# ignored only where letters are literal ("HTTPS://WWW."): a case-insensitive character
# class costs the engine twice as much per character.
URL = re.compile(
    r"(?<![\w@-])"
    r"(?:(?P<scheme>(?i:https?|hxxps?|h\*\*ps?)://)(?:(?P<userinfo>[^\s/?#@]{1,256})@)?)?"
    r"(?P<www>(?i:www)\d{0,3}\.)?"
    rf"(?P<host>{_LABEL}(?:\.{_LABEL})+)"
    r"(?P<port>:\d{1,5}(?!\w))?"
    r"(?P<path>[/?#][^\s<>\"'`|]*)?"
)
# "user:secret@host" without a scheme is a URL's userinfo, not an e-mail address.
USERINFO_URL = re.compile(
    r"(?<![\w.+:/@-])(?P<user>[A-Za-z0-9._+-]{1,64}):(?P<secret>[^\s@/:]{1,64})@"
    rf"(?P<host>{_LABEL}(?:\.{_LABEL})+)(?P<path>[/?#][^\s<>\"'`|]*)?"
)
EMAIL = re.compile(rf"(?<![\w.+-])[\w.+-]{{1,64}}@(?P<host>{_LABEL}(?:\.{_LABEL})+)")
# A TikTok/Instagram handle, dots included ("@maison.paris"): no local part before "@"
# (that would be an email) and no "/" (that is a URL path: "tiktok.com/@user.name").
HANDLE = re.compile(r"(?<![\w.+/-])@\w(?:[\w.]*\w)?")
# A path that is only more names ("a.com/b.com"), and a list separator inside a path
# before another name ("…/x,b.com", "…/x|https://b.com").
PATH_OF_NAMES = re.compile(rf"(?:/\s*{_LABEL}(?:\.{_LABEL})+)+/?")
PATH_LIST_CUT = re.compile(rf"[,;]\s*(?=(?i:https?://|www\.)|{_LABEL}(?:\.{_LABEL})+(?:[\s,;/]|$))")

TRAILING = ".,;:!?)]}>'\"”’»…"

# Scripts written without spaces: text in them glues onto an ASCII host.
GLUED_SCRIPT = re.compile(
    "[\u0600-\u06ff\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uff00-\uffef]"
)
ASCII_TAIL = re.compile(r"[A-Za-z0-9-]+$")
ASCII_HEAD = re.compile(r"[A-Za-z]{2,}")

# --- obfuscations -------------------------------------------------------------------

_OPEN = "[\\[\\(\\{<【（「〔]"
_CLOSE = "[\\]\\)\\}>】）」〕]"
_QUOTE = "[\"'‘’“”«»]"
_GLUED = "|".join(map(re.escape, GLUED_DOT_WORDS))
_BUL = f"[{BULLETS}]"
# One "dot" between two labels, in every form people type: "[.]", "(dot)", "{punto}",
# "'dot'", "-dot-", " ponto ", "shopドットcom", " . ", " • ", "shop•com".
_SEP = (
    rf"(?:\s*{_OPEN}\s*(?:\.|(?i:{_WORDS}))\s*{_CLOSE}\s*"
    rf"|{_QUOTE}?\s*{_QUOTE}(?i:{_WORDS}){_QUOTE}\s*{_QUOTE}?"
    rf"|\s*[-–—]\s*(?i:{_WORDS})\s*[-–—]\s*"
    rf"|\s+(?i:{_WORDS})\s+"
    rf"|(?<=[A-Za-z0-9])(?:{_GLUED})(?=[A-Za-z0-9])"
    rf"|\s+[.{BULLETS}]\s+"
    rf"|(?<=[A-Za-z0-9]){_BUL}(?=[A-Za-z0-9]))"
)
SEP_ONLY = re.compile(_SEP)
# Separators typed on purpose: any real suffix may follow them.
STRONG_SEP = re.compile(rf"{_OPEN}|{_BUL}(?!\s)|(?<!\s){_BUL}")
_SPELLED = "|".join(map(re.escape, SPELLED_SUFFIXES))
OBFUSCATED = re.compile(
    rf"(?<![\w.])(?P<labels>{_LABEL}(?:(?:{_SEP}|\.){_LABEL})*)"
    rf"{_SEP}(?P<tld>(?i:{_SPELLED})(?!\w)|[A-Za-z]{{2,24}}(?:\.[A-Za-z]{{2,3}})?"
    r"(?![A-Za-z0-9-])|[^\W\d_]{2,12}(?!\w))"
)


# Where an obfuscation can be, in the lower-cased prepared text: a spelled "dot", a
# bracketed dot, a bullet, a spaced dot. The scan then reads back to the name before
# it. One set of first characters, so the engine skips to the next in C.
def _anchor() -> re.Pattern[str]:
    heads: dict[str, list[str]] = {}
    for w in DOT_WORDS:
        heads.setdefault(w[0], []).append(re.escape(w[1:]))
    alts = [
        f"(?<={re.escape(h)})(?:{'|'.join(sorted(tails, key=len, reverse=True))})"
        for h, tails in heads.items()
    ]
    first = "".join(re.escape(h) for h in heads)
    return re.compile(
        rf"[{first}\[\(\{{<【（「〔{BULLETS}.]"
        rf"(?:{'|'.join(alts)}|(?<={_OPEN})\s*\.|(?<={_BUL})|(?<=\s\.)(?=\s))"
    )


OBFUSCATION_ANCHOR = _anchor()
# A bracketed dot, a bullet or a spaced dot: with a spelled "dot", what makes the
# anchor scan worth running.
OBFUSCATION_PUNCT = re.compile(
    rf"[\[\(\{{<【（「〔{BULLETS}.](?:(?<={_OPEN})\s*\.|(?<={_BUL})|(?<=\s\.)(?=\s))"
)
# Characters between a name and the separator after it, read backwards from an anchor.
SEP_CHARS = frozenset(" \t\n[({<【（「〔\"'‘’“”«»-–—")
MARK_CHARS = frozenset(
    chr(c) for a, b in re.findall(r"(.)(?:-(.))?", _MARKS) for c in range(ord(a), ord(b or a) + 1)
)
# A dot before two letters (a suffix has two at least): where a host can be.
DOT_ANCHOR = re.compile(r"\.(?=[^\W\d_]{2})")
# What comes right before an obfuscated name that makes it an e-mail address:
# "name [at] gmail", "name (@) gmail", "nombre arroba gmail", "bob@gmail [dot] com".
AT_BEFORE = re.compile(
    rf"(?:(?P<bracket>{_OPEN}\s*(?:at|AT|@)\s*{_CLOSE})\s*"
    r"|(?P<word>\s(?:[Aa]rroba|ARROBA|at|AT|@)\s+)"
    r"|(?<=[\w.+-])(?P<glued>@)|(?<![\w.+-])(?P<handle>@))$"
)
# The word right after a match ("dot com *days*").
NEXT_WORD = re.compile(r"\s+([^\W\d_]+)")
CONTINUES = re.compile(r"\s+[^\W\d_]")

# "s h o p . c o m": a run of single letters, the whole run.
SPACED = re.compile(
    r"(?<![\w.])(?P<run>(?:[A-Za-z0-9] ){1,40}[A-Za-z0-9]"
    rf"(?:(?: ?[.{BULLETS}] ?| +(?i:{_WORDS}) +)(?:[A-Za-z0-9] ){{0,40}}[A-Za-z0-9])+)(?![\w])"
)
# A single letter between spaces, then another: where spaced letters can start (a space
# first: the engine skips to each in C).
SPACED_HINT = re.compile(rf" [A-Za-z0-9] [A-Za-z0-9](?: |[.{BULLETS}])")
SPACED_SEP = re.compile(rf" ?[.{BULLETS}] ?| +(?i:{_WORDS}) +")

# "example,com": a comma instead of a dot, only before the commonest TLDs. The comma
# comes first (the engine skips to each in C); the name is read back from it.
COMMA = re.compile(r",(?P<tld>(?i:com|net|org|shop|store|io|co|fr|de))(?![\w])")
COMMA_NAME = re.compile(r"(?<![\w.,@])[A-Za-z0-9][A-Za-z0-9-]{1,62}$")
