"""Issue 29: obfuscations in a dozen languages, shops on shared platforms, URLs before
e-mail addresses; the PSL read offline; properties over invisible characters and
dot variants."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import textwrap

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from harvester.domains import extract, icann_domain, normalize_domain, words
from harvester.domains.hosts import DomainKind, host_kind
from harvester.domains.normalize import parse_host

from .corpus import load

CORPUS_TEXTS = [c.text for c in load()]
INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff", "\u200e", "\u200f"]


def _domains(text: str) -> set[str]:
    return {d.domain for d in extract(text).domains}


# --- shared platforms -----------------------------------------------------------------


def test_the_shop_is_the_domain_and_the_platform_its_icann_name() -> None:
    (d,) = extract("shop at https://bloom.myshopify.com/products/x").domains
    assert (d.domain, d.icann_domain, d.host) == (
        "bloom.myshopify.com",
        "myshopify.com",
        "bloom.myshopify.com",
    )
    (plain,) = extract("see shop.example.co.uk").domains
    assert plain.domain == plain.icann_domain == "example.co.uk"
    assert normalize_domain("api.worker-name.workers.dev") == "worker-name.workers.dev"
    assert icann_domain("api.worker-name.workers.dev") == "workers.dev"
    assert normalize_domain("github.io") == "github.io"  # the platform itself
    assert normalize_domain("www.myshopify.com") == "myshopify.com"


def test_a_page_on_a_link_in_bio_platform_is_of_its_kind() -> None:
    assert host_kind("mylinks.carrd.co") is DomainKind.LINK_IN_BIO
    assert host_kind("bloom.myshopify.com") is DomainKind.SITE


def test_the_public_suffix_list_is_the_bundled_snapshot_never_the_network() -> None:
    # A fresh interpreter in which any socket fails: the private section still loads.
    code = textwrap.dedent(
        """
        import socket
        tried = []
        def refuse(*a, **k):
            tried.append(a)  # recorded: a library may swallow the error
            raise OSError("network used")
        socket.socket.connect = refuse
        socket.socket.connect_ex = refuse
        socket.create_connection = refuse
        socket.getaddrinfo = refuse
        from harvester.domains import normalize
        from harvester.domains import extract
        assert normalize._PSL.suffix_list_urls == ()
        assert normalize._PSL.include_psl_private_domains
        got = [d.domain for d in extract("me.github.io and x.vercel.app").domains]
        assert got == ["me.github.io", "x.vercel.app"], got
        assert tried == [], tried
        print("offline ok")
        """
    )
    env = {**os.environ, "TLDEXTRACT_CACHE": "/nonexistent/never-written"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0 and "offline ok" in out.stdout, out.stderr


# --- URLs first, e-mail addresses apart ------------------------------------------------


def test_a_deceptive_userinfo_is_flagged_and_the_host_wins() -> None:
    (d,) = extract("claim https://instagram.com@prize-desk.shop now").domains
    assert d.domain == "prize-desk.shop" and d.deceptive
    assert d.matched == "https://instagram.com@prize-desk.shop"
    (plain,) = extract("https://user:pw@shop.luxebags.co.uk/sale").domains
    assert plain.domain == "luxebags.co.uk" and not plain.deceptive
    (bare,) = extract("see https://glowskin.com/x").domains
    assert not bare.deceptive


def test_addresses_are_reported_apart_never_as_domains() -> None:
    res = extract("mail hello [at] glowskin [dot] com or bia＠gmail．com")
    assert res.domains == ()
    assert {(f.domain, f.reason, f.email) for f in res.filtered} == {
        ("glowskin.com", "email", True),
        ("gmail.com", "email", True),
    }
    # the same domain as a site and as an address: the site, once
    res = extract("hello@glowskin.com or glowskin.com")
    assert [d.domain for d in res.domains] == ["glowskin.com"] and res.filtered == ()
    assert extract("bia@gmail.com", include_emails=False).filtered == ()


def test_evidence_of_obfuscations_points_at_the_original_text() -> None:
    text = "compra na lojadabia ponto com ponto br!"
    (d,) = extract(text).domains
    assert d.obfuscated and d.matched == "lojadabia ponto com ponto br"
    text = "glow\u200bskin.com"
    (d,) = extract(text).domains
    assert d.domain == "glowskin.com" and text[d.start : d.end] == d.matched == text


def test_to_dict_is_every_field_in_order() -> None:
    (d,) = extract("see https://shop.example.com/x").domains
    names = [f.name for f in dataclasses.fields(d) if f.name != "reason"]
    assert list(d.to_dict()) == names
    (f,) = extract("tiktok.com").filtered
    assert list(f.to_dict()) == [*names, "reason"]


# --- properties -------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(CORPUS_TEXTS),
    st.lists(st.tuples(st.integers(0, 400), st.sampled_from(INVISIBLE)), max_size=6),
)
def test_invisible_characters_never_change_the_result(text: str, inserts: list) -> None:
    noisy = text
    for pos, ch in inserts:
        p = pos % (len(noisy) + 1)
        noisy = noisy[:p] + ch + noisy[p:]
    res = extract(noisy)
    assert {d.domain for d in res.domains} == _domains(text)
    for d in (*res.domains, *res.filtered):
        assert noisy[d.start : d.end] == d.matched


_NAME = st.from_regex(r"[a-z][a-z0-9]{2,10}(-[a-z0-9]{2,6})?", fullmatch=True).filter(
    lambda n: (
        n not in words.STOP_NAMES
        and n not in words.DOT_WORDS
        and n not in words.FILE_STEMS
        and n not in words.EMAIL_LOCALS
    )
)
_SUFFIX = st.sampled_from(
    ["com", "net", "org", "shop", "store", "de", "fr", "jp", "com.br", "co.uk", "com.mx"]
)
_CONTEXT = st.sampled_from(
    [
        "{}",
        "order at {} now",
        "mira {} 🔥",
        "请看{}谢谢",
        "👉{}👈",
        "link: {}",
        "compra na {} hoje",
        "заказ на {} сегодня",
    ]
)
_DOTS = ["。", "．", "｡", "[.]", "(.)", "{.}", "【.】", "•", "[dot]", "(dot)", " dot "]


@settings(max_examples=300, deadline=None)
@given(_NAME, _SUFFIX, _CONTEXT, st.sampled_from(_DOTS))
def test_every_dot_variant_gives_the_same_domain(
    name: str, suffix: str, context: str, dot: str
) -> None:
    host = f"{name}.{suffix}"
    expected = _domains(context.format(host))
    assume(expected)  # a context in which the plain name is read
    variant = context.format(host.replace(".", dot))
    if dot == " dot ":
        variant = context.format(f" {host.replace('.', dot)} ")
    assert _domains(variant) == expected, variant


@settings(max_examples=200, deadline=None)
@given(_NAME, _SUFFIX, _CONTEXT)
def test_fullwidth_text_gives_the_same_domain(name: str, suffix: str, context: str) -> None:
    host = f"{name}.{suffix}"
    expected = _domains(context.format(host))
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in host)
    assert _domains(context.format(fullwidth)) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120))
def test_whatever_it_reads_is_a_real_domain(text: str) -> None:
    for d in extract(text).domains:
        host = parse_host(d.domain)
        assert host is not None and host.domain == d.domain
        assert parse_host(d.icann_domain) is not None
