"""Issue 34, points 4–6: every look-up goes through one guarded fetch that checks each
hop, classifies every spelling of an address, makes a refused URL a per-URL result, and
does nothing at all while look-ups are off. Targets are listeners on loopback that
count what reaches them: a refusal must happen before any connection."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from harvester.jobs.functions.enrichment import enrich, rdap_data
from harvester.jobs.functions.resolution import resolve, resolve_one
from harvester.jobs.lookups import LookupBlocked, Lookups
from harvester.runtime import build_runtime
from harvester.settings import Settings
from harvester.store.clock import utcnow
from harvester.store.domains import ensure_domains
from harvester.store.states import EnrichmentKind, LookupStatus
from tests.free_port import free_port


class Listener:
    """An HTTP server on ``host`` that counts requests; ``redirect`` makes it answer
    302 to that URL."""

    def __init__(self, host: str = "127.0.0.1", redirect: str | None = None) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                if redirect:
                    self.send_response(302)
                    self.send_header("Location", redirect)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = b'{"events": []}'
                self.send_response(200)
                self.send_header("Content-Type", "application/rdap+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.port = int(self.server.server_address[1])
        self.url = f"http://{host}:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def secret() -> Iterator[Listener]:
    """What an attacker wants the harvester to reach: a service on this machine."""
    listener = Listener("127.0.0.2")
    yield listener
    listener.close()


# -- 4: RDAP follows redirects only through the guard --------------------------------
async def test_rdap_redirect_to_a_private_address_is_refused(secret: Listener) -> None:
    rdap = Listener("127.0.0.1", redirect=f"{secret.url}/admin")
    try:
        settings = Settings(rdap_base_url=f"{rdap.url}/rdap", lookup_allow_networks="127.0.0.1/32")
        with pytest.raises(LookupBlocked):
            await rdap_data(Lookups(settings), "example.com")
        assert rdap.hits == ["/rdap/domain/example.com"]  # the allowed server was asked
        assert secret.hits == []  # its redirect was not followed
    finally:
        rdap.close()


async def test_rdap_itself_must_pass_the_guard(secret: Listener) -> None:
    settings = Settings(rdap_base_url=f"{secret.url}/rdap")
    with pytest.raises(LookupBlocked):
        await rdap_data(Lookups(settings), "example.com")
    assert secret.hits == []


# -- 6: every spelling of a private address ------------------------------------------
@pytest.fixture
def local() -> Iterator[Listener]:
    listener = Listener("127.0.0.1")
    yield listener
    listener.close()


SPELLINGS = [
    "[::127.0.0.1]",  # IPv4-compatible IPv6
    "[::ffff:127.0.0.1]",  # IPv4-mapped
    "[::ffff:7f00:1]",
    "0177.0.0.1",  # octal
    "0x7f.0.0.1",  # hex
    "0x7f000001",
    "2130706433",  # decimal
    "127.1",  # short
    "0.0.0.0",  # reaches local listeners on Linux
    "[::]",
    "[64:ff9b::7f00:1]",  # NAT64 of 127.0.0.1
    "[2002:7f00:1::]",  # 6to4 of 127.0.0.1
]


@pytest.mark.parametrize("host", SPELLINGS)
async def test_every_spelling_of_a_private_address_is_refused(local: Listener, host: str) -> None:
    url = f"http://{host}:{local.port}/admin"
    with pytest.raises(LookupBlocked):
        await Lookups(Settings()).fetch(url)
    assert local.hits == []


# 127.0.0.2 (where the secret listens) spelled otherwise; only 127.0.0.1 is allowed.
@pytest.mark.parametrize("host", ["[::127.0.0.2]", "0177.0.0.2", "2130706434", "127.2", "0.0.0.0"])
async def test_a_redirect_to_such_a_spelling_is_refused(
    local: Listener, secret: Listener, host: str
) -> None:
    hop = Listener("127.0.0.1", redirect=f"http://{host}:{secret.port}/admin")
    try:
        # Only the first hop's exact address is allowed: the redirect must be checked.
        lookups = Lookups(Settings(lookup_allow_networks="127.0.0.1/32"))
        with pytest.raises(LookupBlocked):
            await lookups.fetch(hop.url + "/go")
        assert hop.hits == ["/go"] and secret.hits == []
    finally:
        hop.close()


async def test_a_refused_or_blocked_url_is_a_result_not_a_failed_run() -> None:
    closed = free_port()  # nothing listens there: the connection is refused
    lookups = Lookups(Settings(lookup_allow_networks="127.0.0.0/8", lookup_timeout_seconds=2))
    refused = await resolve(lookups, f"http://127.0.0.1:{closed}/x", "bit.ly")
    assert refused.status is LookupStatus.FAILED and refused.error
    odd = await resolve(Lookups(Settings()), "http://0177.0.0.1/x", "bit.ly")
    assert odd.status is LookupStatus.BLOCKED


# -- 5: look-ups off means off -------------------------------------------------------
class DnsSpy:
    """A UDP socket standing in for the DNS server: counts queries, answers none."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])

    def queries(self) -> int:
        n = 0
        for _ in range(50):  # bounded: what arrived so far
            try:
                self.sock.recvfrom(4096)
            except TimeoutError:
                return n
            n += 1
        return n


async def test_lookups_off_makes_no_dns_query_and_no_request(
    tmp_path: Path, local: Listener
) -> None:
    dns = DnsSpy()
    settings = Settings(
        data_dir=tmp_path,
        domain_lookups=False,
        dns_server=f"127.0.0.1:{dns.port}",
        rdap_base_url=f"{local.url}/rdap",
        lookup_allow_networks="127.0.0.0/8",
        lookup_timeout_seconds=1,
    )
    runtime = build_runtime(settings)
    try:
        with runtime.db.session() as s:
            ensure_domains(s, {"shop-off.test": "shop-off.test"}, utcnow(), frozenset())
        out = await resolve_one(runtime.deps, f"{local.url}/x", "bit.ly")
        assert "look-ups are off" in out["skipped"]
        for kind in EnrichmentKind:
            got = await enrich(runtime.deps, kind, "shop-off.test")
            assert "look-ups are off" in got["skipped"]
        assert local.hits == []
        assert dns.queries() == 0
    finally:
        dns.sock.close()
        await runtime.aclose()
