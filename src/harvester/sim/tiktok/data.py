"""Deterministic comments of the simulated posts, with the domains they mention and
their ground truth (see ``world`` for the ads, advertisers and posts)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator

from harvester.domains.normalize import normalize_domain
from harvester.sim.tiktok.world import (
    advertisers,
    n_comments,
    post,
    post_by_id,
    sample_pool,
)
from harvester.sim.web_world import planted_mention

PLATFORM = ("tiktok.com", "vm.tiktok.com")

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


def _registrable(entry: str) -> str | None:
    host = entry.split("://", 1)[-1].split("/", 1)[0]
    return normalize_domain(host)


def _mention(seed: int, rng: random.Random, site: str | None) -> tuple[str, set[str]]:
    """One mention of a domain from the pool (or the advertiser's own site), in one of
    the forms people type; e-mail addresses come back redacted, as TikTok sends them."""
    entry = site if site and rng.random() < 0.3 else sample_pool(seed, rng)
    reg = _registrable(entry)
    truth = {reg} if reg else set()
    if "/" in entry or reg is None:
        return entry, truth
    kind = rng.random()
    host = entry if rng.random() < 0.7 else f"{rng.choice(('www', 'shop', 'm'))}.{entry}"
    if kind < 0.35:
        return host, truth
    if kind < 0.6:
        return f"https://{host}/p/{rng.randint(1, 999)}?ref=tt", truth
    if kind < 0.72:
        base, _, tld = entry.rpartition(".")
        if "." in base:  # keep obfuscations to one separator: what people type
            return entry, truth
        return rng.choice((f"{base} dot {tld}", f"{base}[.]{tld}", f"{base}(.){tld}")), truth
    if kind < 0.84:
        idn = rng.choice(_IDN)
        return idn, {idn}
    if kind < 0.94:  # redacted by the Research API: no domain left to find
        return f"{rng.choice('aisc')}*******@****", set()
    if kind < 0.97:
        return rng.choice(PLATFORM) + "/@someone", set()
    return planted_mention(rng)  # the fake web's shorteners, link-in-bio pages, sites


def comment(seed: int, video_id: str, j: int) -> tuple[str, set[str]]:
    """The text of comment ``j`` of a post and the registrable domains it mentions."""
    rng = random.Random(f"{seed}:c:{video_id}:{j}")
    found = post_by_id(seed, video_id)
    site = found.advertiser.site if found else None
    lang = rng.choice(tuple(_CHATTER))
    chatter = rng.choice(_CHATTER[lang])
    roll = rng.random()
    if roll < 0.6:
        return chatter, set()
    if roll < 0.68:
        return f"{chatter} {rng.choice(_NEGATIVES)}", set()
    text, truth = _mention(seed, rng, site)
    if rng.random() < 0.15:
        more, truth2 = _mention(seed, rng, site)
        text, truth = f"{text} and {more}", truth | truth2
    return f"{chatter} {text} {rng.choice(('', '👉', '🔥🔥', '!!'))}".strip(), truth


def comment_id(video_id: str, j: int) -> str:
    return f"{video_id}{j:04d}"


def ground_truth(seed: int, cid: str) -> frozenset[str]:
    """The registrable domains planted in comment ``cid`` (Unicode, lower case)."""
    if len(cid) < 5 or post_by_id(seed, cid[:-4]) is None:
        return frozenset()
    return frozenset(comment(seed, cid[:-4], int(cid[-4:]))[1])


def iter_comments(seed: int, n: int) -> Iterator[tuple[str, str, frozenset[str]]]:
    """(comment id, text, expected domains) for ``n`` comments across the world's posts."""
    count = 0
    for c in itertools.count():
        for a in advertisers(seed):
            vid = post(seed, a, c, 0).video_id
            for j in range(max(1, n_comments(seed, vid))):
                text, truth = comment(seed, vid, j)
                yield comment_id(vid, j), text, frozenset(truth)
                count += 1
                if count >= n:
                    return
