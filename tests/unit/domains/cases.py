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
    # Issue 29: an e-mail address names a mailbox, not a site: no domain (the address
    # is reported in ``filtered``, reason "email").
    ("mail me: bob@gmail.com", set()),
    ("contact sales@shop.example.co.uk now", set()),
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

# Classes of misses measured on real comments (issue 19): one list per class, many each.
DEFANGED: list[tuple[str, set[str]]] = [
    ("example[.]co.uk/shop", {"example.co.uk"}),
    ("example[.]co[.]uk", {"example.co.uk"}),
    ("example(.)co.uk", {"example.co.uk"}),
    ("example dot co dot uk", {"example.co.uk"}),
    ("site{dot}io", {"site.io"}),
    ("site(dot)io", {"site.io"}),
    ("site[dot]io", {"site.io"}),
    ("site [DOT] io", {"site.io"}),
    ("site [ . ] io", {"site.io"}),
    ("brand[.]beauty", {"brand.beauty"}),
    ("brand(.)skin/sale", {"brand.skin"}),
    ("hxxps://evil[.]shop/x", {"evil.shop"}),
    ("get it at glow<dot>com", {"glow.com"}),
    ("glow<.>com", {"glow.com"}),
    ("glow【.】com", {"glow.com"}),
    ("glow（.）com", {"glow.com"}),
    ("glow「.」shop", {"glow.shop"}),
    ("example 'dot' com", {"example.com"}),
    ('example "dot" com', {"example.com"}),
    ("example “dot” com", {"example.com"}),
    ("example-dot-com", {"example.com"}),
    ("example - dot - net", {"example.net"}),
    ("example dot com.", {"example.com"}),
    ("example dot com!!", {"example.com"}),
    ("(example dot com)", {"example.com"}),
    ("“example dot com”", {"example.com"}),
    ("example dot com, trust me", {"example.com"}),
    ("example dot com's sale", {"example.com"}),
    ("example dot com/promo", {"example.com"}),
    ("go:example dot com", {"example.com"}),
    ("link->example dot shop<-", {"example.shop"}),
    ("deals dot com.Then more", {"deals.com"}),
    ("promo[.]store, promo2[.]store", {"promo.store", "promo2.store"}),
    ("shop[.]example[.]de", {"example.de"}),
]
DIGIT_LABELS: list[tuple[str, set[str]]] = [
    ("163.com", {"163.com"}),
    ("360.cn", {"360.cn"}),
    ("4399.com", {"4399.com"}),
    ("9gag.com", {"9gag.com"}),
    ("1688.com", {"1688.com"}),
    ("go to 163.com now", {"163.com"}),
    ("play at 4399.com!", {"4399.com"}),
    ("mail.163.com", {"163.com"}),
    ("https://163.com/x", {"163.com"}),
    ("www.360.cn", {"360.cn"}),
    ("123movies.net", {"123movies.net"}),
    ("4chan.org", {"4chan.org"}),
    ("7-eleven.com", {"7-eleven.com"}),
    ("99designs.com rocks", {"99designs.com"}),
    ("1password.com", {"1password.com"}),
    ("163 dot com", {"163.com"}),
    ("4399[.]com", {"4399.com"}),
    ("见360.cn谢谢", {"360.cn"}),
]
HANDLE_NEGATIVES: list[str] = [
    "@beauty.tips",
    "follow @maison.paris on ig",
    "@beauty_tips.co",
    "tiktok @glow.studio",
    "ig: @shop.brand.store",
    "cc @nova.shop and @luxe.store",
    "beauty_tips.co",
    "my ig is glow_skin.shop",
    "@brand dot com",
    "@brand[.]com",
    "(@maison.paris)",
    "👉@maison.paris",
    "@www.fake.com",
]
HANDLE_MIXED: list[tuple[str, set[str]]] = [
    ("@maison.paris sells on maison-paris.fr", {"maison-paris.fr"}),
    ("mail bob@gmail.com not @bob.gmail", set()),  # issue 29: an address gives none
    ("https://www.tiktok.com/@glow.studio then glow.shop", {"glow.shop"}),
    ("instagram.com/@maison.paris", {"instagram.com"}),
    ("DM @ shop.com", {"shop.com"}),
]
PHRASE_NEGATIVES: list[str] = [
    "back in the dot com days",
    "a dot net developer",
    "the dot com bubble",
    "my dot com startup",
    "an old dot com company",
    "the dot com boom and bust",
    "a dot net framework job",
    "any dot org will do",
    "that dot com era",
    "I'm an ASP.NET developer",
    "VB.NET is old",
    "ADO.NET rocks",
    "it was the dot com crash",
    "he is a dot com millionaire",
    "every dot com died",
]

# Written after the fixes, as a check they were not fitted to the lists above: all 30
# passed on their first run.
HELD_OUT: list[tuple[str, set[str]]] = [
    ("order at glowskin[.]shop before it sells out", {"glowskin.shop"}),
    ("DM me or go to vitamax (dot) store", {"vitamax.store"}),
    ("link: nova-beauty[dot]co[dot]uk", {"nova-beauty.co.uk"}),
    ("100% legit 👉 luxebags{.}com 👈", {"luxebags.com"}),
    ("check 4399.com and 7k7k.com for games", {"4399.com", "7k7k.com"}),
    ("i bought mine on 1688.com lol", {"1688.com"}),
    ("my cousin works at a dot com startup", set()),
    ("the dot net framework is old", set()),
    ("follow @glow.beauty.official for more", set()),
    ("ig @luxe.paris ✨", set()),
    ("tag @shop.daily please", set()),
    ("mail me at hello@mybrand.fr", set()),  # issue 29: an address gives none
    ("this is the ASP.NET way", set()),
    ("in the dot com era everyone had a site", set()),
    ("got it from temu.com tbh", {"temu.com"}),
    ("buy at shein . com", {"shein.com"}),
    ("go to amazon DOT de", {"amazon.de"}),
    ("it's on example(dot)com/sale", {"example.com"}),
    ("visit 123shop.net", {"123shop.net"}),
    ("bestdeal24[.]online", {"bestdeal24.online"}),
    ("www.360.cn is chinese", {"360.cn"}),
    ("hxxp://scam-site[.]xyz/login", {"scam-site.xyz"}),
    ("@maison.paris and maison-paris.com are different", {"maison-paris.com"}),
    ("price is 19.99 at zara.com", {"zara.com"}),
    ("see u at 9.30", set()),
    ("the file is report.pdf", set()),
    ("version 3.2.1 out now", set()),
    ("go to linktr.ee/glowshop", {"linktr.ee"}),
    ("bit.ly/3xYz is the link", {"bit.ly"}),
    ('"ShopNow.COM"', {"shopnow.com"}),
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
LANG_DOMAINS: list[tuple[str, str | None]] = [
    ("example.com", "example.com"),
    ("https://www.shop.fr/promo", "shop.fr"),
    ("deals.co.uk", "deals.co.uk"),
    ("brand dot net", "brand.net"),
    ("promo[.]store", "promo.store"),
    ("пример.рф", "пример.рф"),
    ("bücher.de", "bücher.de"),
    ("cool-app.io/download", "cool-app.io"),
    ("mail: info@angebot.de", None),  # issue 29: an address gives no domain
    ("WWW.BIGSALE.COM", "bigsale.com"),
]


def all_cases() -> list[tuple[str, set[str]]]:
    cases = [*POSITIVE, *DEFANGED, *DIGIT_LABELS, *HANDLE_MIXED, *HELD_OUT]
    cases += [(text, set()) for text in (*NEGATIVE, *HANDLE_NEGATIVES, *PHRASE_NEGATIVES)]
    cases += [
        (t.format(d=d), {want} if want else set())
        for t in LANG_TEMPLATES
        for d, want in LANG_DOMAINS
    ]
    return cases
