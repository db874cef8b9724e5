"""Network lookups of domain intelligence: DNS records, guarded HTTP fetches with
bounded redirects, RDAP. Endpoints come from settings, so tests point them at loopback.

The SSRF guard: every host is resolved here first and its address checked; only
public addresses are fetched (plus the networks ``HARVESTER_LOOKUP_ALLOW_NETWORKS``
names), and the connection goes to the checked address, so a second DNS answer cannot
swap it for another ("DNS rebinding"). Each redirect hop is checked again.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from dataclasses import dataclass, field
from typing import Any

import dns.asyncresolver
import dns.exception
import dns.resolver
import httpx

from harvester.settings import Settings

RECORD_TYPES = ("A", "AAAA", "NS", "MX")
REDIRECTS = (301, 302, 303, 307, 308)
MAX_BODY = 256 * 1024
USER_AGENT = "harvester-domain-intel/1 (+analyst lookup)"


class LookupBlocked(Exception):
    """The SSRF guard refused an address: nothing was fetched."""


class LookupFailed(Exception):
    """A definitive answer that retrying will not change (no such domain, a loop)."""


@dataclass
class Fetched:
    """What a guarded fetch saw: each hop, the last response, a bounded body."""

    hops: list[dict[str, Any]] = field(default_factory=list)
    final_url: str = ""
    status: int = 0
    body: str = ""
    tls_issuer: str | None = None


def _resolver(settings: Settings) -> dns.asyncresolver.Resolver:
    if settings.dns_server is None:
        r = dns.asyncresolver.Resolver()
    else:
        host, _, port = settings.dns_server.rpartition(":")
        r = dns.asyncresolver.Resolver(configure=False)
        r.nameservers = [host or settings.dns_server]
        r.port = int(port) if host and port.isdigit() else 53
    r.lifetime = settings.lookup_timeout_seconds
    return r


class Lookups:
    """DNS and guarded HTTP for the resolution and enrichment functions."""

    def __init__(self, settings: Settings, http: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._dns = _resolver(settings)
        self._http = http

    async def records(self, name: str) -> dict[str, list[str]]:
        """A, AAAA, NS and MX of ``name`` (empty lists where none); LookupFailed when
        the domain does not exist."""
        out: dict[str, list[str]] = {}
        for rtype in RECORD_TYPES:
            try:
                answer = await self._dns.resolve(name, rtype)
                out[rtype] = sorted(r.to_text() for r in answer)
            except dns.resolver.NXDOMAIN as exc:
                raise LookupFailed(f"{name}: no such domain (NXDOMAIN)") from exc
            except (dns.resolver.NoAnswer, dns.resolver.NoNameservers):
                out[rtype] = []
        return out

    def check_address(self, ip: str) -> None:
        """Raise LookupBlocked unless ``ip`` is public or in an allowed network."""
        addr = ipaddress.ip_address(ip)
        if addr.is_global and not addr.is_multicast:
            return
        if any(addr in net for net in self.settings.allowed_networks):
            return
        raise LookupBlocked(f"{ip} is not a public address: refused (SSRF guard)")

    async def address(self, host: str) -> str:
        """The address to connect to for ``host``, checked by the SSRF guard."""
        try:
            ip = str(ipaddress.ip_address(host.strip("[]")))
        except ValueError:
            ip = await self._first_address(host)
        self.check_address(ip)
        return ip

    async def _first_address(self, host: str) -> str:
        for rtype in ("A", "AAAA"):
            try:
                answer = await self._dns.resolve(host, rtype)
                return str(answer[0].to_text())
            except dns.resolver.NXDOMAIN as exc:
                raise LookupFailed(f"{host}: no such domain (NXDOMAIN)") from exc
            except (dns.resolver.NoAnswer, dns.resolver.NoNameservers):
                continue
        raise LookupFailed(f"{host}: no address (no A or AAAA record)")

    async def fetch(self, url: str) -> Fetched:
        """GET ``url``, following at most ``resolve_max_hops`` redirects within the
        time bound; each hop goes through the SSRF guard."""
        s = self.settings
        total = s.lookup_timeout_seconds * (s.resolve_max_hops + 1)
        try:
            async with asyncio.timeout(total):
                return await self._follow(url)
        except TimeoutError as exc:
            raise LookupFailed(f"{url}: no answer within {total:.0f} s") from exc

    async def _follow(self, url: str) -> Fetched:
        out = Fetched()
        current = httpx.URL(url)
        for _ in range(self.settings.resolve_max_hops + 1):
            status, location, body, issuer = await self._one(current)
            out.hops.append({"url": str(current), "status": status})
            if status in REDIRECTS and location:
                current = current.join(location)
                continue
            out.final_url, out.status, out.body, out.tls_issuer = str(current), status, body, issuer
            return out
        raise LookupFailed(f"{url}: more than {self.settings.resolve_max_hops} redirects")

    async def _one(self, url: httpx.URL) -> tuple[int, str | None, str, str | None]:
        if url.scheme not in ("http", "https") or not url.host:
            raise LookupFailed(f"{url}: only http(s) URLs are fetched")
        name = url.raw_host.decode("ascii")  # IDNA form: what DNS, SNI and Host carry
        ip = await self.address(name)
        target = self._target(url, ip)
        headers = {"Host": url.netloc.decode("ascii"), "User-Agent": USER_AGENT}
        ext = {"sni_hostname": name} if target.scheme == "https" else {}
        client = self._http or _client(self.settings)
        try:
            req = client.build_request("GET", target, headers=headers, extensions=ext)
            resp = await client.send(req, stream=True, follow_redirects=False)
            try:
                issuer = _tls_issuer(resp)
                body = await _bounded_text(resp)
            finally:
                await resp.aclose()
        finally:
            if self._http is None:
                await client.aclose()
        return resp.status_code, resp.headers.get("location"), body, issuer

    def _target(self, url: httpx.URL, ip: str) -> httpx.URL:
        port = self.settings.port_map.get(url.scheme)  # the simulator's web world
        return url.copy_with(host=ip, port=port if port is not None else url.port)


def _client(settings: Settings) -> httpx.AsyncClient:
    verify: Any = True
    if settings.lookup_ca_file is not None:
        verify = ssl.create_default_context(cafile=str(settings.lookup_ca_file))
    return httpx.AsyncClient(timeout=settings.lookup_timeout_seconds, verify=verify)


async def _bounded_text(resp: httpx.Response) -> str:
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_BODY:
            break
    return b"".join(chunks)[:MAX_BODY].decode(resp.encoding or "utf-8", errors="replace")


def _tls_issuer(resp: httpx.Response) -> str | None:
    """The issuer organisation (or common name) of the server's certificate."""
    stream = resp.extensions.get("network_stream")
    ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
    if ssl_object is None:
        return None
    cert = ssl_object.getpeercert() or {}
    fields = {k: v for rdn in cert.get("issuer", ()) for k, v in rdn}
    return fields.get("organizationName") or fields.get("commonName")


def parse_rdap(doc: dict[str, Any]) -> dict[str, Any]:
    """Registration date and registrar from an RDAP domain answer (RFC 9083)."""
    created = next(
        (
            e.get("eventDate")
            for e in doc.get("events", [])
            if e.get("eventAction") == "registration"
        ),
        None,
    )
    registrar = None
    for ent in doc.get("entities", []):
        if "registrar" in ent.get("roles", []):
            vcard = ent.get("vcardArray", [None, []])[1]
            registrar = next((v[3] for v in vcard if v and v[0] == "fn"), None)
    return {"registered_at": created, "registrar": registrar}
