"""A realistic mix of TikTok comments for the extraction benches (issue 29).

Deterministic from a seed. Proportions follow what comments under ads look like: most
say nothing about a site (chatter in many languages and scripts, emoji, sentence
punctuation, prices, times, handles, "the point is"…), about a third mention one or
more domains in the forms people type: URLs with query strings, bare names, shops on
shared platforms, obfuscations in a dozen languages ("dot", "punto", "ponto", "titik",
"Punkt", "точка", "ドット"…), bracketed and Unicode dots, fullwidth text glued to CJK,
invisible characters inside a name, e-mail addresses (plain and obfuscated), lists.

    from bench.extract_mix import realistic_mix
    lines = realistic_mix(seed=29, n=1_000_000)
"""

from __future__ import annotations

import random

_CHATTER = [
    "love this 😍",
    "where can I buy it?",
    "so cute!!",
    "first 🔥",
    "omg same",
    "wait... what",
    "this is so good. I need it. now.",
    "ok but the price tho",
    "not me buying this at 2am 😭😭",
    "Does it ship to Canada? Asking for a friend.",
    "mine arrived broken. not happy",
    "10/10 would recommend",
    "it's $19.99 on sale rn",
    "j'adore 😍",
    "c'est où ? je veux !",
    "trop bien, merci.",
    "wie cool ist das",
    "wo gibt es das? Danke.",
    "me encanta 😍",
    "¿dónde lo compro?",
    "qué bonito, lo quiero ya",
    "amei 😍",
    "onde compro? alguém sabe?",
    "muito bom mesmo.",
    "класс 😍",
    "где купить? подскажите пожалуйста.",
    "رائع 😍",
    "من أين أشتري؟",
    "かわいい😍",
    "どこで買えますか？",
    "最高すぎる。また買います。",
    "太好看了😍",
    "在哪里买？求链接。",
    "너무 예뻐요😍",
    "어디서 사요?",
    "harika 😍",
    "nereden alabilirim?",
    "bagus banget kak 😍",
    "beli di mana ya kak?",
    "đẹp quá 😍",
    "mua ở đâu vậy shop?",
    "สวยมาก 😍",
    "ซื้อที่ไหนคะ",
    "😂😂😂",
    "🔥🔥🔥🔥",
    "❤️❤️❤️",
    "👀",
    "need this in my life",
    "who else is watching at 3.30am",
    "got mine for 12.50 at the market",
    "rated 4.5 stars, not bad",
    "v2.0 is way better",
]
_NOISE = [
    "the point is, it works",
    "good point!",
    "el punto es que funciona",
    "o ponto de ônibus fica longe",
    "le point de vue est bon",
    "ein Punkt für dich",
    "dot dot dot",
    "Mr. Smith approves",
    "e.g. this one",
    "i.e. the best",
    "No.1 fan",
    "follow @glow.beauty.official",
    "ig @luxe.paris ✨",
    "watch video.mp4",
    "the file is report.pdf",
    "open weights.pt in python",
    "run train.py again",
    "back in the dot com days",
    "точка зрения интересная",
    "titik temu kita di sana",
    "Punkt 8 Uhr",
]
_NAMES = [
    "glowskin",
    "luxebags",
    "vitamax",
    "nova-beauty",
    "bestdeal24",
    "prize-desk",
    "shopnow",
    "mybrand",
    "cutecase",
    "lojadabia",
    "tiendamia",
    "rabattwelt",
    "skinlab",
    "petjoy",
    "fitgear",
    "trendyol",
    "zaraoutlet",
    "tokobaju",
    "kawaiimart",
    "dealhub",
]
_TLDS = ["com", "shop", "store", "net", "co", "io", "de", "fr", "es", "online", "xyz"]
_CC = ["com.br", "co.uk", "com.mx", "co.id", "com.tr", "co.jp", "com.au", "com.vn", "co.th"]
_PLATFORMS = ["myshopify.com", "github.io", "vercel.app", "netlify.app", "pages.dev"]
_WORDS = [
    ("dot", "en"),
    ("punto", "es"),
    ("ponto", "pt"),
    ("titik", "id"),
    ("Punkt", "de"),
    ("point", "fr"),
    ("точка", "ru"),
    ("دوت", "ar"),
    ("ドット", "ja"),
    ("nokta", "tr"),
    ("chấm", "vi"),
    ("จุด", "th"),
]
_INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff"]


def _host(rng: random.Random) -> str:
    name = rng.choice(_NAMES)
    r = rng.random()
    if r < 0.6:
        return f"{name}.{rng.choice(_TLDS)}"
    if r < 0.8:
        return f"{name}.{rng.choice(_CC)}"
    return f"{name}.{rng.choice(_PLATFORMS)}"


def _fullwidth(s: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in s)


def _mention(rng: random.Random) -> str:
    host = _host(rng)
    name, _, tld = host.partition(".")
    r = rng.random()
    if r < 0.22:
        return host
    if r < 0.40:
        return f"https://{host}/p/{rng.randint(1, 999)}?ref=tt&utm_source=tiktok"
    if r < 0.48:
        return f"www.{host}"
    if r < 0.62:
        word, _lang = rng.choice(_WORDS)
        return f"{name} {word} {tld.replace('.', f' {word} ')}"
    if r < 0.70:
        sep = rng.choice(["[.]", "(.)", "{.}", "。", "．", "•"])
        return f"{name}{sep}{tld}"
    if r < 0.74:
        return f"请看{_fullwidth(host)}谢谢"
    if r < 0.78:
        cut = rng.randint(1, len(name) - 1)
        return f"{name[:cut]}{rng.choice(_INVISIBLE)}{name[cut:]}.{tld}"
    if r < 0.84:
        user = rng.choice(["hello", "info", "contact", "sales", "bia.santos"])
        if rng.random() < 0.5:
            return f"{user}@{rng.choice(['gmail.com', 'outlook.com', host])}"
        return f"{user} [at] gmail [dot] com"
    if r < 0.88:
        return f"https://vm.tiktok.com/ZM{rng.randint(10_000, 99_999)}/"
    if r < 0.92:
        return f"bit.ly/{rng.randint(100_000, 999_999):x}"
    if r < 0.96:
        return f"{host}, {_host(rng)} | {_host(rng)}"
    return rng.choice(["bücher.de", "пример.рф", "café-paris.fr", "ร้านค้า.com"])


def realistic_mix(seed: int, n: int) -> list[str]:
    """``n`` comments: ~59% chatter, ~9% look-alike noise, ~32% with a mention."""
    rng = random.Random(f"mix:{seed}")
    out = []
    for _ in range(n):
        r = rng.random()
        chatter = rng.choice(_CHATTER)
        if r < 0.59:
            out.append(chatter)
        elif r < 0.68:
            out.append(f"{chatter} {rng.choice(_NOISE)}")
        else:
            end = rng.choice(["", " 👉", " 🔥🔥", "!!", " 💖"])
            out.append(f"{chatter} {_mention(rng)}{end}")
    return out
