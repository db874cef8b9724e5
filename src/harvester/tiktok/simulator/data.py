"""Deterministic simulator data, generated lazily by index from a seed: ads, videos,
and comments with planted domains and their ground truth."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from harvester.tiktok.simulator.web_world import planted_mention

REGIONS = ("FR", "DE", "GB", "ES", "IT", "NL", "PL", "SE")
N_ADS = 4000
VIDEO_BASE = 7_300_000_000_000_000_000
AD_BASE = 1_780_000_000_000
PLATFORM = ("tiktok.com", "vm.tiktok.com")

_WORDS = (
    "shop",
    "deal",
    "promo",
    "best",
    "cool",
    "glow",
    "fit",
    "vita",
    "luxe",
    "mega",
    "smart",
    "eco",
    "nova",
    "pixel",
    "urban",
    "happy",
    "green",
    "star",
    "flash",
    "home",
)
_TLDS = ("com", "com", "com", "net", "shop", "store", "io", "fr", "de", "co.uk", "es", "it")
_IDN = ("bücher.de", "café-paris.fr", "пример.рф", "españa-ofertas.es", "straße-shop.de")
_CHATTER = {
    "en": ["love this 😍", "where can I buy it?", "so cute!!", "first 🔥", "omg same"],
    "fr": ["j'adore 😍", "c'est où ?", "trop bien !", "premier 🔥"],
    "de": ["wie cool ist das", "wo gibt es das?", "mega 🔥"],
    "es": ["me encanta 😍", "¿dónde lo compro?", "qué bonito"],
    "pt": ["amei 😍", "onde compro?", "muito bom"],
    "ru": ["класс 😍", "где купить?", "супер"],
    "ar": ["رائع 😍", "من أين أشتري؟"],
    "ja": ["かわいい😍", "どこで買えますか？"],
    "zh": ["太好看了😍", "在哪里买？"],
    "ko": ["너무 예뻐요😍", "어디서 사요?"],
    "tr": ["harika 😍", "nereden alabilirim?"],
}
_NEGATIVES = (
    "i.e. the best",
    "e.g. this one",
    "No.1 fan",
    "update v1.2.3 please",
    "watch video.mp4",
    "it costs 3.14",
    "at 9 a.m. sharp",
    "the end.Then more",
    "script.py broke",
    "Mr. Smith approves",
)


@dataclass(frozen=True)
class AdSpec:
    index: int
    ad_id: str
    video_id: str
    region: str
    published: date
    advertiser: str
    n_comments: int


def ad_spec(seed: int, index: int, today: date) -> AdSpec:
    rng = random.Random(f"{seed}:ad:{index}")
    return AdSpec(
        index=index,
        ad_id=str(AD_BASE + index),
        video_id=str(VIDEO_BASE + index),
        region=REGIONS[index % len(REGIONS)],
        published=today - timedelta(days=index % 14),
        advertiser=f"{rng.choice(_WORDS).title()} {rng.choice(('GmbH', 'SAS', 'Ltd', 'SL'))}",
        n_comments=rng.randint(15, 260),
    )


def video_index(video_id: str) -> int | None:
    try:
        idx = int(video_id) - VIDEO_BASE
    except ValueError:
        return None
    return idx if 0 <= idx < N_ADS else None


def _domain(rng: random.Random) -> tuple[str, str]:
    """(registrable domain, how it appears as a host)."""
    name = f"{rng.choice(_WORDS)}{rng.choice(_WORDS)}{rng.randint(1, 99)}"
    reg = f"{name}.{rng.choice(_TLDS)}"
    host = reg if rng.random() < 0.7 else f"{rng.choice(('www', 'shop', 'm'))}.{reg}"
    return reg, host


def _mention(rng: random.Random) -> tuple[str, set[str]]:
    kind = rng.random()
    reg, host = _domain(rng)
    if kind < 0.35:
        return host, {reg}
    if kind < 0.6:
        return f"https://{host}/p/{rng.randint(1, 999)}?ref=tt", {reg}
    if kind < 0.72:
        base, _, tld = reg.rpartition(".")
        if "." in base:  # keep obfuscations to one separator: what people type
            return reg, {reg}
        return rng.choice((f"{base} dot {tld}", f"{base}[.]{tld}", f"{base}(.){tld}")), {reg}
    if kind < 0.84:
        idn = rng.choice(_IDN)
        return idn, {idn}
    if kind < 0.94:
        return f"{rng.choice(('info', 'contact', 'sales'))}@{reg}", {reg}
    if kind < 0.97:
        return rng.choice(PLATFORM) + "/@someone", set()
    return planted_mention(rng)  # the fake web's shorteners, link-in-bio pages, sites


def comment(seed: int, video_idx: int, j: int) -> tuple[str, set[str]]:
    """The text of comment ``j`` of a video and the registrable domains it mentions."""
    rng = random.Random(f"{seed}:c:{video_idx}:{j}")
    lang = rng.choice(tuple(_CHATTER))
    chatter = rng.choice(_CHATTER[lang])
    roll = rng.random()
    if roll < 0.6:
        return chatter, set()
    if roll < 0.68:
        return f"{chatter} {rng.choice(_NEGATIVES)}", set()
    text, truth = _mention(rng)
    if rng.random() < 0.15:
        more, truth2 = _mention(rng)
        text, truth = f"{text} and {more}", truth | truth2
    return f"{chatter} {text} {rng.choice(('', '👉', '🔥🔥', '!!'))}".strip(), truth


def comment_id(video_id: str, j: int) -> str:
    return f"{video_id}{j:04d}"


def ground_truth(seed: int, cid: str) -> frozenset[str]:
    """The registrable domains planted in comment ``cid`` (Unicode, lower case)."""
    idx = video_index(cid[:-4])
    if idx is None:
        return frozenset()
    return frozenset(comment(seed, idx, int(cid[-4:]))[1])


def iter_comments(seed: int, n: int) -> Iterator[tuple[str, str, frozenset[str]]]:
    """(comment id, text, expected domains) for ``n`` comments, across videos (and, past
    one seed's videos, the next seeds': ids then repeat, texts do not)."""
    count = 0
    for round_ in range(n // 1000 + 1):
        s = seed + round_
        for idx in range(N_ADS):
            vid = str(VIDEO_BASE + idx)
            for j in range(ad_spec(s, idx, date(2026, 1, 1)).n_comments):
                text, truth = comment(s, idx, j)
                yield comment_id(vid, j), text, frozenset(truth)
                count += 1
                if count >= n:
                    return
