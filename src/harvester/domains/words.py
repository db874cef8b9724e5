"""Word lists the extractor decides by: "dot" in the languages of TikTok's big markets,
the suffixes each is written before, words that give a phrase away, file names.

Every list is data, not logic: ``extract`` reads them; the corpus in
``tests/unit/domains/corpus.txt`` has a case for the reason each is there.
"""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# "dot" as people spell it to dodge link filters, and the language it is from.
DOT_WORDS: dict[str, str] = {
    "dot": "en",
    "punto": "es",  # and Italian: the same word
    "ponto": "pt",
    "titik": "id",  # Indonesian and Malay
    "punkt": "de",
    "point": "fr",
    "точка": "ru",
    "дот": "ru",
    "دوت": "ar",
    "نقطة": "ar",
    "ドット": "ja",
    "nokta": "tr",
    "chấm": "vi",
    "cha\u0302\u0301m": "vi",  # the same word typed with combining accents (NFD)
    "จุด": "th",
    "ดอท": "th",
    "点": "zh",
    "닷": "ko",
}
# Words from scripts written without spaces: they may be glued to the ASCII labels
# around them ("shopドットcom", "shopจุดcom").
GLUED_DOT_WORDS = ("ドット", "จุด", "ดอท", "点", "닷", "دوت", "نقطة")

# Suffixes spelled in another script after a spelled "dot" ("ドット コム").
SPELLED_SUFFIXES: dict[str, str] = {
    "コム": "com",
    "ネット": "net",
    "คอม": "com",
    "ком": "com",
    "ру": "ru",
    "كوم": "com",
    "نت": "net",
}

# Generic suffixes people write after a spelled "dot" in any language.
GENERIC_TLDS = _words(
    "com net org info biz shop store online site website xyz top club vip live life fun app io co "
    "ai tv me cc eu asia beauty skin hair makeup fashion boutique clothing jewelry style deals "
    "sale buzz link click world today tech blog page lat uk us рф"
)
# The country codes each spelled "dot" is written before, beside the generic ones.
# English is everyone's second language: "dot" takes any real suffix.
LANGUAGE_TLDS: dict[str, frozenset[str]] = {
    "es": _words("es it mx ar cl co pe ve uy py bo ec cr do gt hn ni pa sv pr cu sm va"),
    "pt": _words("br pt ao mz cv gw st tl mo"),
    "id": _words("id my sg bn"),
    "de": _words("de at ch li lu"),
    "fr": _words("fr be ch ca lu ma sn ci tn dz re mc ht cm ml bf ne tg bj ga cd"),
    "ru": _words("ru рф su by kz ua uz kg tj am az ge md"),
    "ar": _words("sa ae eg ma dz tn iq jo kw qa om bh lb ly sd ye sy ps"),
    "ja": _words("jp"),
    "tr": _words("tr az cy"),
    "vi": _words("vn"),
    "th": _words("th"),
    "zh": _words("cn hk tw sg mo"),
    "ko": _words("kr"),
}
# Suffixes that are also everyday words, by language ("el punto es que", "at this
# point in time", "önemli nokta ve sonuç"): after a spelled "dot" of that language they
# count only at the end of the sentence ("tienda punto es!"). "shop Punkt de kaufen"
# is fine: "de" is no German word. French "point" is common in English text too.
_EN_WORDISH = "in it is me no to do be at us so an am as by my on or go we hi id ai tv"
WORDISH_TLDS: dict[str, frozenset[str]] = {
    "en": _words(_EN_WORDISH),
    "es": _words("es de la el en un al lo se si tu mi me te no ya ve da di il ne ma in"),
    "pt": _words("de do da em no na um eu se me te ao as os"),
    "de": _words("in am an um zu so es du er da ab ob wo ja"),
    "fr": _words("de la le un en ne je tu il ma ta sa me te se ce ou au et si " + _EN_WORDISH),
    "id": _words("di ke ya"),
    "tr": _words("de da ve bu ne ki mi ya"),
    "vi": _words("me la to do co ma"),
}
# Every wordish suffix: for a spaced dot or bullet, whose language is unknown.
ANY_WORDISH_TLDS = frozenset().union(*WORDISH_TLDS.values())

# Words that, right before a spelled "dot", show a phrase rather than an address: "the
# dot com days", "el punto es", "o ponto de ônibus", "un point de vue", "bir nokta".
STOP_NAMES = _words(
    # English
    "the a an any every each that this these those my your his her its our their old early first "
    "big whole no some i it you he she we they me him us them good great fair valid main key one "
    "another which what whose this next last polka at in on of to from for with by and or but is "
    "was be "
    # Spanish, Italian
    "el la los las un una uno este esta ese esa eso aquel mi tu su nuestro buen mal gran primer "
    "otro cada ningún algún al del de en por que y o ni es il lo gli le questo quello mio tuo "
    "suo buon primo ogni nel dal sul di da "
    # Portuguese
    "os as um uma esse essa isso aquele meu minha seu sua nosso bom primeiro outro no na do ao "
    "em e ou "
    # German
    "der die das den dem des ein eine einen einem einer kein keine dieser diese dieses jeder "
    "mein dein sein ihr unser guter erster zum am im auf mit "
    # French
    "les une ce cet cette mon ton son notre votre leur bon premier chaque au du à "
    # Indonesian, Malay
    "satu sebuah pada ke dari sampai hingga ini itu suatu setiap "
    # Turkish
    "bir bu şu her son önemli "
    # Russian
    "эта эту та одна моя твоя наша последняя первая в на и с "
    # Vietnamese
    "dấu một cái nhiều"
)
# Words right after the suffix that show a phrase: "dot com bubble", "dot net developer".
PHRASE_AFTER_WORDS = _words(
    "day days era boom bubble bust crash company companies startup startups millionaire "
    "millionaires developer developers dev devs framework core stock stocks craze mania generation"
)

# Suffixes that are also file extensions, in two kinds. A bare "x.py" is a file
# unless a scheme, "www.", a path or a site word ("visit", "website") says otherwise.
FILE_FIRST_TLDS = _words("py sh zip mov md ps pm gz mp js")
# A bare "glowcheck.ai" is a site, unless its name is a known file name ("logo.ai",
# "best.pt") or a file word is next to it ("open weights.pt", "archivo foo.pt").
SITE_FIRST_TLDS = _words("ai tv io app pt pl cc so am rs")
FILE_STEMS = _words(
    "readme license licence changelog contributing requirements setup main index app train test "
    "tests eval infer inference model models weights weight best last checkpoint ckpt final config "
    "settings utils util helpers lib mod build install script run start deploy demo sample video "
    "clip movie archive backup logo icon poster banner design artwork vector illustration drawing "
    "sketch template mockup file document notes data dataset export output input draft image photo "
    "picture resume invoice report untitled project presentation yolov8n yolov8s yolov5s yolo11n "
    "model_final"
)
FILE_WORDS_BEFORE = _words(
    "open opened opening opens download downloaded downloading save saved saving export exported "
    "import imported load loaded loading run running ran execute edit edited rename renamed delete "
    "deleted upload uploaded attach attached attachment file files python python3 pip node bash "
    "cat vim nano cd unzip convert converted compile torch.load abre abrir abra baixar baixe "
    "descargar descarga guardar salvar archivo arquivo öffne öffnen speichern datei ouvrir ouvre "
    "fichier файл открой dosya aç tải buka unduh"
)
FILE_WORDS_AFTER = _words("file files extension format archivo arquivo datei fichier файл dosya")
# Words before a bare name that say it is a site, whatever its suffix.
SITE_WORDS_BEFORE = _words(
    "visit website site web url link sitio página pagina seite lien situs сайт"
)

# Words before a "name:secret@host" that make it an e-mail address, not a URL's
# userinfo ("email:bia@gmail.com").
EMAIL_LABELS = _words(
    "email e-mail mail correo contato contacto contact kontakt info gmail ig dm whatsapp wa tel "
    "mailto"
)
# Local parts that make "hello at glowskin dot com" an address, not a site.
EMAIL_LOCALS = _words(
    "hello hi hey info contact sales support admin team office help service care enquiries "
    "inquiries press hr jobs billing noreply mail email"
)
# Hosts that serve e-mail only: "hello at gmail dot com" is an address.
WEBMAIL = _words(
    "gmail.com googlemail.com yahoo.com yahoo.co.jp hotmail.com outlook.com live.com icloud.com "
    "me.com aol.com proton.me protonmail.com mail.ru yandex.ru bk.ru inbox.ru list.ru qq.com "
    "163.com 126.com naver.com daum.net gmx.de gmx.net web.de t-online.de orange.fr free.fr "
    "laposte.net libero.it uol.com.br bol.com.br terra.com.br"
)
