"""Hand-written extraction cases: (text, expected registrable domains)."""

from __future__ import annotations

POSITIVE: list[tuple[str, set[str]]] = [
    ("visit https://shop.example.co.uk/path?x=1", {"example.co.uk"}),
    ("http://example.com", {"example.com"}),
    ("HTTPS://EXAMPLE.COM/ABC", {"example.com"}),
    ("go to www.amazon.fr!", {"amazon.fr"}),
    ("www.example.org.", {"example.org"}),
    ("example.com", {"example.com"}),
    ("example.com.", {"example.com"}),
    ("example.com,", {"example.com"}),
    ("example.com?", {"example.com"}),
    ("(example.com)", {"example.com"}),
    ("[example.com]", {"example.com"}),
    ("<example.com>", {"example.com"}),
    ('"example.com"', {"example.com"}),
    ("'example.com'", {"example.com"}),
    ("[link](https://foo.bar.com/x)", {"bar.com"}),
    ("see example.com/path/to/page", {"example.com"}),
    ("see example.com:8080/x", {"example.com"}),
    ("http://localhost.example.net:3000", {"example.net"}),
    ("buy at shop.example.io?ref=tt", {"example.io"}),
    ("https://a.b.c.example.de/#frag", {"example.de"}),
    ("👉shop.io👈", {"shop.io"}),
    ("🔥🔥deals.store🔥🔥", {"deals.store"}),
    ("link in bio: mybrand.shop 💖", {"mybrand.shop"}),
    ("two: a-site.com and b-site.net", {"a-site.com", "b-site.net"}),
    ("same twice example.com example.com", {"example.com"}),
    ("sub domains x.example.com y.example.com", {"example.com"}),
    ("bit.ly/3abc is a shortener", {"bit.ly"}),
    ("t.co/abc", {"t.co"}),
    ("check example dot com", {"example.com"}),
    ("check example DOT com", {"example.com"}),
    ("example (dot) com", {"example.com"}),
    ("example [dot] net", {"example.net"}),
    ("site[.]net rocks", {"site.net"}),
    ("example(.)com", {"example.com"}),
    ("example{.}org", {"example.org"}),
    ("example . com", {"example.com"}),
    ("example,com", {"example.com"}),
    ("shop dot example dot com", {"example.com"}),
    ("example．com", {"example.com"}),
    ("example。com", {"example.com"}),
    ("请访问example.com谢谢", {"example.com"}),
    ("見てshop.jp です", {"shop.jp"}),
    ("مرحبا site.com شكرا", {"site.com"}),
    ("bücher.de", {"bücher.de"}),
    ("xn--bcher-kva.de", {"bücher.de"}),
    ("пример.рф", {"пример.рф"}),
    ("https://пример.рф/путь", {"пример.рф"}),
    ("BÜCHER.DE", {"bücher.de"}),
    ("mail me: bob@gmail.com", {"gmail.com"}),
    ("contact sales@shop.example.co.uk now", {"example.co.uk"}),
    ("https://www.example.com.au/deal", {"example.com.au"}),
    ("example.co.jp is japanese", {"example.co.jp"}),
    ("visit my-shop123.com", {"my-shop123.com"}),
    ("https://example.com/a_(b)", {"example.com"}),
    ("end of sentence example.com. Next one", {"example.com"}),
    ("url:https://example.com", {"example.com"}),
    ("text,example.com", {"example.com"}),
    ("hello.world", {"hello.world"}),
    ("tiny.cc is short but a domain? only with a path: tiny.cc/x", {"tiny.cc"}),
    ("https://script.py/x", {"script.py"}),
    ("www.video.mov", {"video.mov"}),
]

NEGATIVE: list[str] = [
    "",
    "just words here",
    "i.e. this",
    "e.g. that",
    "No.1 fan",
    "v1.2.3 released",
    "version 2.0.1",
    "video.mp4",
    "photo.jpg",
    "script.py",
    "run.sh",
    "archive.zip",
    "clip.mov",
    "readme.md",
    "pi is 3.14",
    "10.5 percent",
    "at 9 a.m. or p.m.",
    "end.Then a new sentence",
    "Hello.There friend",
    "wow...amazing",
    "dots . . . everywhere",
    "U.S.A.",
    "Mr. Smith",
    "St. Louis",
    "1,com",
    "a dot b",
    "I dot my i's",
    "price 1.000,50",
    "192.168.1.1",
    "file.exe",
    "notes.txt",
    "image.png",
    "doc.pdf",
    "..",
    "@@@",
    "foo@bar",
    "user@localhost",
    "ok.ok.ok",
    "😀.😀",
    "abc.123",
]

LANG_TEMPLATES: list[str] = [
    "Regardez {d} pour plus d'infos",  # fr
    "Mira {d} para más información",  # es
    "Schau dir {d} an, echt gut",  # de
    "Confira {d} agora mesmo",  # pt
    "Смотрите {d} прямо сейчас",  # ru
    "تفضل بزيارة {d} الآن",  # ar
    "詳しくは {d} を見てね",  # ja
    "请访问 {d} 了解更多",  # zh
    "자세한 내용은 {d} 에서 확인하세요",  # ko
    "Daha fazlası için {d} adresine bakın",  # tr
    "Check {d} 🔥🔥",  # en + emoji
    "{d}",  # alone
]
LANG_DOMAINS: list[tuple[str, str]] = [
    ("example.com", "example.com"),
    ("https://www.shop.fr/promo", "shop.fr"),
    ("deals.co.uk", "deals.co.uk"),
    ("brand dot net", "brand.net"),
    ("promo[.]store", "promo.store"),
    ("пример.рф", "пример.рф"),
    ("bücher.de", "bücher.de"),
    ("cool-app.io/download", "cool-app.io"),
    ("mail: info@angebot.de", "angebot.de"),
    ("WWW.BIGSALE.COM", "bigsale.com"),
]


def all_cases() -> list[tuple[str, set[str]]]:
    cases = list(POSITIVE)
    cases += [(text, set()) for text in NEGATIVE]
    cases += [(t.format(d=d), {want}) for t in LANG_TEMPLATES for d, want in LANG_DOMAINS]
    return cases
