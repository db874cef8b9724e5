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
from urllib.parse import urljoin, urlsplit, urlunsplit

import dns.asyncresolver
import dns.exception
import dns.resolver
import httpx

from harvester.jobs import ssrf
from harvester.settings import Settings

RECORD_TYPES = ("A", "AAAA", "NS", "MX")
REDIRECTS = (301, 302, 303, 307, 308)
MAX_BODY = 256 * 1024
USER_AGENT = "harvester-domain-intel/1 (+analyst lookup)"


class LookupBlocked(Exception):
    """The SSRF guard refused an address: nothing was fetched."""


class LookupFailed(Exception):
    """A definitive answer that retrying will not change (no such domain, a loop)."""


class LookupUnavailable(Exception):
    """A transient refusal (429, 5xx): the step retries."""


LOOKUPS_OFF = "look-ups are off (HARVESTER_DOMAIN_LOOKUPS): nothing was looked up"


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

    def __init__(
        self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self._dns = _resolver(settings)
        self._transport = transport

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
        """Raise LookupBlocked unless ``ip`` is public or in an allowed network; every
        spelling of an address is classified alike (``ssrf``)."""
        addr = ipaddress.ip_address(ip)
        problem = ssrf.non_public(addr)
        if problem is None:
            return
        # A mapped address reaches its IPv4 (the kernel routes it so): allowed alike.
        mapped = addr.ipv4_mapped if isinstance(addr, ipaddress.IPv6Address) else None
        forms = [a for a in (addr, mapped) if a is not None]
        if any(a in net for net in self.settings.allowed_networks for a in forms):
            return
        raise LookupBlocked(f"{ip} {problem}: refused (SSRF guard)")

    async def address(self, host: str) -> str:
        """The address to connect to for ``host``, checked by the SSRF guard."""
        try:
            literal = ssrf.literal_ip(host)
        except ssrf.AmbiguousAddress as exc:
            raise LookupBlocked(f"{exc}: refused (SSRF guard)") from exc
        ip = str(literal) if literal is not None else await self._first_address(host)
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

    async def fetch(self, url: str, accept: str | None = None) -> Fetched:
        """GET ``url``, following at most ``resolve_max_hops`` redirects within the
        time bound; each hop goes through the SSRF guard. The one way every look-up
        (HTTP, RDAP, resolve-links, bio pages) reaches the network."""
        s = self.settings
        total = s.lookup_timeout_seconds * (s.resolve_max_hops + 1)
        try:
            async with asyncio.timeout(total):
                return await self._follow(url, accept)
        except TimeoutError as exc:
            raise LookupFailed(f"{url}: no answer within {total:.0f} s") from exc

    async def _follow(self, url: str, accept: str | None) -> Fetched:
        out = Fetched()
        current = self._url(url)
        for _ in range(self.settings.resolve_max_hops + 1):
            status, location, body, issuer = await self._one(current, accept)
            out.hops.append({"url": str(current), "status": status})
            if status in REDIRECTS and location:
                current = self._url(urljoin(str(current), location.strip()))
                continue
            out.final_url, out.status, out.body, out.tls_issuer = str(current), status, body, issuer
            return out
        raise LookupFailed(f"{url}: more than {self.settings.resolve_max_hops} redirects")

    def _url(self, text: str) -> httpx.URL:
        """``text`` as a URL to fetch: http(s) only, a numeric host in its canonical
        spelling (httpx takes no octal or decimal IPv4), checked before any connection."""
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise LookupFailed(f"{text[:200]}: only http(s) URLs are fetched")
        try:
            literal = ssrf.literal_ip(parts.hostname)
        except ssrf.AmbiguousAddress as exc:
            raise LookupBlocked(f"{exc}: refused (SSRF guard)") from exc
        if literal is not None:
            self.check_address(str(literal))
            port = f":{parts.port}" if parts.port else ""
            text = urlunsplit(parts._replace(netloc=ssrf.canonical(literal) + port))
        try:
            return httpx.URL(text)
        except (httpx.InvalidURL, ValueError) as exc:
            raise LookupFailed(f"{text[:200]}: not a valid URL ({exc})") from exc

    async def _one(
        self, url: httpx.URL, accept: str | None = None
    ) -> tuple[int, str | None, str, str | None]:
        if url.scheme not in ("http", "https") or not url.host:
            raise LookupFailed(f"{url}: only http(s) URLs are fetched")
        name = url.raw_host.decode("ascii")  # IDNA form: what DNS, SNI and Host carry
        ip = await self.address(name)
        target = self._target(url, ip)
        headers = {"Host": url.netloc.decode("ascii"), "User-Agent": USER_AGENT}
        if accept:
            headers["Accept"] = accept
        ext = {"sni_hostname": name} if target.scheme == "https" else {}
        timeout = httpx.Timeout(self.settings.lookup_timeout_seconds).as_dict()
        req = httpx.Request("GET", target, headers=headers, extensions={**ext, "timeout": timeout})
        # The transport, not the client: httpx's client parses a redirect's Location
        # itself (and raises on one it cannot read, e.g. an octal host) before we can
        # classify it; every hop's URL goes through _url and the guard instead.
        transport = self._transport or _transport(self.settings)
        try:
            resp = await transport.handle_async_request(req)
            try:
                issuer = _tls_issuer(resp)
                body = await _bounded_text(resp)
            finally:
                await resp.aclose()
        finally:
            if self._transport is None:
                await transport.aclose()
        return resp.status_code, resp.headers.get("location"), body, issuer

    def _target(self, url: httpx.URL, ip: str) -> httpx.URL:
        port = self.settings.port_map.get(url.scheme)  # the simulator's web world
        return url.copy_with(host=ip, port=port if port is not None else url.port)


def _transport(settings: Settings) -> httpx.AsyncHTTPTransport:
    verify: Any = True
    if settings.lookup_ca_file is not None:
        verify = ssl.create_default_context(cafile=str(settings.lookup_ca_file))
    return httpx.AsyncHTTPTransport(verify=verify)


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
