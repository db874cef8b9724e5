"""The simulator's fake web, on loopback: a DNS server, one HTTP server that answers for
every planted host (shortener redirects, link-in-bio pages, shop sites) and an RDAP stub.

Nothing here reaches the internet: the DNS server answers only for the planted names
(loopback addresses, plus one cloud-metadata address the SSRF guard must refuse), and
the HTTP server is bound to 127.0.0.1. ``planted_mentions`` is what the comment
generator plants, with weights; its truth is what extraction must find, and ``final``
is where resolution must lead.
"""

from __future__ import annotations

import functools
import html
import json
import random
import ssl
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from dnslib import MX, NS, QTYPE, RR, A, DNSRecord
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from harvester.clock import utcnow

LOOPBACK = "127.0.0.1"
METADATA_IP = "169.254.169.254"  # never to be fetched, whatever the settings


@dataclass(frozen=True)
class Site:
    name: str
    title: str
    age_days: int  # registered this many days before "today"
    registrar: str


SITES = (
    Site("glowdeal-promo.shop", "GLOW DEAL -80% today only", 6, "Quick Names Ltd"),
    Site("vitaboost-sale.store", "VitaBoost | miracle offer", 12, "Quick Names Ltd"),
    Site("novaskin-outlet.shop", "Nova Skin outlet", 20, "Cheap Domains Inc"),
    Site("urbanwear-classic.com", "Urban Wear - since 2009", 6000, "Old Registrar SA"),
    Site("happyhome-store.net", "Happy Home Store", 3200, "Old Registrar SA"),
)
# Shortener and link-in-bio paths: where each leads (a path on a host, or a page's links).
REDIRECTS: dict[tuple[str, str], str] = {
    ("bit.ly", "/wwglow"): "https://glowdeal-promo.shop/p/1?ref=tt",
    ("bit.ly", "/wwvita"): "https://tinyurl.com/wwvita2",  # two hops
    ("tinyurl.com", "/wwvita2"): "https://vitaboost-sale.store/offer",
    ("tinyurl.com", "/wwurban"): "https://urbanwear-classic.com/",
    ("bit.ly", "/wwloop"): "https://tinyurl.com/wwloop",  # never ends: hops are bounded
    ("tinyurl.com", "/wwloop"): "https://bit.ly/wwloop",
    ("bit.ly", "/wwmeta"): "http://metadata-grab.shop/latest/meta-data/",  # SSRF bait
}
BIO_PAGES: dict[tuple[str, str], tuple[str, ...]] = {
    ("linktr.ee", "/novaskin"): (
        "https://novaskin-outlet.shop/",
        "https://bit.ly/wwglow",
        "https://www.instagram.com/novaskin",
    ),
}
HOSTS = frozenset(
    {*(s.name for s in SITES), *(h for h, _ in REDIRECTS), *(h for h, _ in BIO_PAGES)}
)


@dataclass(frozen=True)
class Planted:
    """A mention the generator plants: the text, what extraction finds, where it leads."""

    text: str
    truth: frozenset[str]
    weight: float
    final: frozenset[str]


def planted_mentions() -> tuple[Planted, ...]:
    """Shortener links, link-in-bio pages, young and old sites, with relative weights
    (the young ones weigh most: they are the ones pushed hard)."""
    out = [
        Planted(f"https://{h}{p}", frozenset({h}), 3.0 if "glow" in p else 1.0, frozenset())
        for (h, p) in REDIRECTS
        if "loop" not in p and "meta" not in p
    ]
    out = [_with_final(p) for p in out]
    out += [
        Planted("linktr.ee/novaskin", frozenset({"linktr.ee"}), 1.5, frozenset(BIO_FINALS)),
        Planted("https://bit.ly/wwloop", frozenset({"bit.ly"}), 0.2, frozenset()),
        Planted("https://bit.ly/wwmeta", frozenset({"bit.ly"}), 0.2, frozenset()),
    ]
    out += [
        Planted(s.name, frozenset({s.name}), 2.0 if s.age_days < 30 else 1.0, frozenset())
        for s in SITES
    ]
    return tuple(out)


BIO_FINALS = ("novaskin-outlet.shop", "glowdeal-promo.shop", "instagram.com")


def _with_final(p: Planted) -> Planted:
    url = p.text
    for _ in range(5):
        host, _, rest = url.split("://", 1)[1].partition("/")
        nxt = REDIRECTS.get((host, "/" + rest.split("?", 1)[0]))
        if nxt is None:
            break
        url = nxt
    final = url.split("://", 1)[1].split("/", 1)[0]
    return Planted(p.text, p.truth, p.weight, frozenset({final}))


@functools.cache
def _weighted() -> tuple[tuple[Planted, ...], tuple[float, ...]]:
    items = planted_mentions()
    return items, tuple(p.weight for p in items)


def planted_mention(rng: random.Random) -> tuple[str, set[str]]:
    """One planted mention drawn by weight: (text, registrable domains it names)."""
    items, weights = _weighted()
    pick = rng.choices(items, weights=weights)[0]
    return pick.text, set(pick.truth)


# -- DNS ---------------------------------------------------------------------------------


class _Resolver(BaseResolver):  # type: ignore[misc]
    def resolve(self, request: Any, handler: Any) -> Any:
        reply = request.reply()
        qname = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        name = qname[4:] if qname.startswith("www.") else qname
        if name == "metadata-grab.shop" and qtype == "A":
            reply.add_answer(RR(request.q.qname, QTYPE.A, rdata=A(METADATA_IP), ttl=60))
        elif name not in HOSTS:
            reply.header.rcode = 3  # NXDOMAIN
        elif qtype == "A":
            reply.add_answer(RR(request.q.qname, QTYPE.A, rdata=A(LOOPBACK), ttl=60))
        elif qtype == "NS":
            for ns in ("ns1.web-world.test", "ns2.web-world.test"):
                reply.add_answer(RR(request.q.qname, QTYPE.NS, rdata=NS(ns), ttl=60))
        elif qtype == "MX" and name.endswith((".shop", ".store")):
            reply.add_answer(RR(request.q.qname, QTYPE.MX, rdata=MX(f"mx.{name}"), ttl=60))
        return reply


def dns_query(question: DNSRecord) -> DNSRecord:
    """Answer one DNS question as the world's server would (for unit tests)."""
    return _Resolver().resolve(question, None)


# -- HTTP and RDAP -----------------------------------------------------------------------


def _rdap(name: str, today: datetime) -> dict[str, Any] | None:
    site = next((s for s in SITES if s.name == name), None)
    if site is None:
        return None
    created = (today - timedelta(days=site.age_days)).replace(microsecond=0)
    return {
        "objectClassName": "domain",
        "ldhName": name.upper(),
        "events": [
            {"eventAction": "registration", "eventDate": created.isoformat()},
            {"eventAction": "last changed", "eventDate": today.isoformat()},
        ],
        "entities": [
            {
                "objectClassName": "entity",
                "roles": ["registrar"],
                "vcardArray": [
                    "vcard",
                    [["version", {}, "text", "4.0"], ["fn", {}, "text", site.registrar]],
                ],
            }
        ],
    }


HTML = "text/html; charset=utf-8"


def _html(title: str, body: str) -> str:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>"


class _Handler(BaseHTTPRequestHandler):
    server_version = "web-world/1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _send(self, status: int, body: str, ctype: str, headers: dict[str, str]) -> None:
        data = body.encode()
        self.send_response(status)
        for k, v in {"Content-Type": ctype, "Content-Length": str(len(data)), **headers}.items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        host = (self.headers.get("Host") or "").split(":")[0].lower().removeprefix("www.")
        path = self.path.split("?", 1)[0]
        if path.startswith("/rdap/domain/"):
            doc = _rdap(path.rsplit("/", 1)[-1].lower(), utcnow())
            if doc is None:
                return self._send(404, '{"errorCode":404}', "application/rdap+json", {})
            return self._send(200, json.dumps(doc), "application/rdap+json", {})
        if (host, path) in REDIRECTS:
            code = 301 if host == "bit.ly" else 302
            return self._send(code, "", "text/plain", {"Location": REDIRECTS[(host, path)]})
        if (host, path) in BIO_PAGES:
            links = "".join(
                f'<li><a href="{html.escape(u)}" rel="noopener">{html.escape(u)}</a></li>'
                for u in BIO_PAGES[(host, path)]
            )
            title = f"@{html.escape(path[1:])} | links"
            return self._send(200, _html(title, f"<ul>{links}</ul>"), HTML, {})
        site = next((s for s in SITES if s.name == host), None)
        if site is None:
            return self._send(404, "not found", "text/plain", {})
        page = (
            f"<html><head><title>{html.escape(site.title)}</title></head><body>shop</body></html>"
        )
        return self._send(200, page, "text/html; charset=utf-8", {})


CA_NAME = "Web World Test CA"


def _https_server(ca_file: Path) -> ThreadingHTTPServer:
    """The same site over TLS, its certificate issued by a throwaway CA (trustme: a dev
    dependency, as the fake web serves tests and demos only)."""
    try:
        import trustme
    except ModuleNotFoundError as exc:
        raise RuntimeError(
            "the fake web needs trustme for its HTTPS: install the dev dependencies "
            "(uv sync) to run it"
        ) from exc

    ca = trustme.CA(organization_name=CA_NAME)
    ca.cert_pem.write_to_path(str(ca_file))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*sorted(HOSTS), *(f"www.{h}" for h in sorted(HOSTS))).configure_cert(ctx)
    server = ThreadingHTTPServer((LOOPBACK, 0), _Handler)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    return server


class WebWorld:
    """The fake web, started on free loopback ports: ``with WebWorld() as w: w.http_port``.
    It serves HTTP and HTTPS; the CA that signed its certificate is ``ca_file`` (in
    ``tls_dir``, default a fresh temporary directory)."""

    def __init__(self, tls_dir: Path | None = None) -> None:
        self.ca_file = Path(tls_dir or tempfile.mkdtemp(prefix="web-world-")) / "ca.pem"
        plain = ThreadingHTTPServer((LOOPBACK, 0), _Handler)
        self._servers = [plain, _https_server(self.ca_file)]
        for srv in self._servers:
            srv.daemon_threads = True
        quiet = DNSLogger("-recv,-send,-request,-reply,-truncated,-data,-error", prefix=False)
        self._dns = DNSServer(_Resolver(), port=0, address=LOOPBACK, logger=quiet)
        self._threads = [
            threading.Thread(target=srv.serve_forever, daemon=True) for srv in self._servers
        ]

    @property
    def http_port(self) -> int:
        return int(self._servers[0].server_address[1])

    @property
    def https_port(self) -> int:
        return int(self._servers[1].server_address[1])

    @property
    def dns_port(self) -> int:
        return int(self._dns.server.server_address[1])

    @property
    def rdap_base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.http_port}/rdap"

    def settings(self) -> dict[str, Any]:
        """The Settings fields that point every lookup at this world."""
        return {
            "dns_server": f"{LOOPBACK}:{self.dns_port}",
            "rdap_base_url": self.rdap_base_url,
            "lookup_ports": f"http={self.http_port},https={self.https_port}",
            "lookup_allow_networks": "127.0.0.0/8",
            "lookup_ca_file": self.ca_file,
        }

    def start(self) -> WebWorld:
        self._dns.start_thread()
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        for srv in self._servers:
            srv.shutdown()
            srv.server_close()
        self._dns.stop()

    def __enter__(self) -> WebWorld:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
