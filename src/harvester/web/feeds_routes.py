"""The feeds over HTTP, as MISP and OpenCTI pull them: ``/feeds/misp/manifest.json``,
``hashes.csv`` and ``<event uuid>.json``, ``/feeds/stix/bundle.json``,
``/feeds/domains.txt`` and ``/feeds/domains.csv``.

They serve the files the publish-feeds function writes after each cycle (never a query
per pull; only the first pull before any cycle writes them). Every answer carries an
``ETag`` and ``Last-Modified``; a conditional GET that matches gets a 304. Bound off
loopback, they need the admin token: ``Authorization: Bearer <token>`` or ``?token=``
(what a MISP feed or an OpenCTI connector can be given).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import structlog
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.responses import Response, StreamingResponse

from harvester.clock import utcnow
from harvester.jobs.functions.feeds import PUBLISHED, FeedFormat, feeds_dir, publish
from harvester.web.security import check_login, is_admin, token_required

log = structlog.get_logger(__name__)

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
MAX_TOKEN = 512
CHUNK = 64 * 1024
FEED_TOKEN_HELP = (
    "feeds need the admin token beyond loopback: send 'Authorization: Bearer "
    "<HARVESTER_ADMIN_TOKEN>' or add ?token=<HARVESTER_ADMIN_TOKEN> to the feed URL"
)
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
_publishing = threading.Lock()
Handler = Callable[..., Any]


def feed_access(request: Request) -> None:
    """Dependency: on loopback anyone local; beyond it the admin token (header, login
    cookie or ``?token=``)."""
    if not token_required(request) or is_admin(request):
        return
    given = request.query_params.get("token", "")
    if given and len(given) <= MAX_TOKEN and check_login(request, given):
        return
    raise HTTPException(401, FEED_TOKEN_HELP, headers={"WWW-Authenticate": "Bearer"})


router = APIRouter(prefix="/feeds", tags=["feeds"], dependencies=[Depends(feed_access)])


def _root(request: Request) -> Path:
    return feeds_dir(request.app.state.runtime.settings)


def _ensure_published(request: Request) -> None:
    """Write the feeds once when no cycle has yet (the first pull of a fresh install)."""
    root = _root(request)
    if (root / PUBLISHED[FeedFormat.MISP] / "manifest.json").is_file():
        return
    with _publishing:
        if (root / PUBLISHED[FeedFormat.MISP] / "manifest.json").is_file():
            return
        runtime = request.app.state.runtime
        out = publish(runtime.db, runtime.settings, utcnow().date())
        log.info("feeds published on first pull", **out)


def _etag(st: os.stat_result) -> str:
    # A feed file changes only by a rename of a new file over it (new inode, new mtime),
    # and is left alone when its bytes are the same: this names one version.
    return f'"{st.st_ino:x}-{st.st_mtime_ns:x}-{st.st_size:x}"'


def _not_modified(request: Request, etag: str, st: os.stat_result) -> bool:
    """RFC 9110 §13.1: If-None-Match wins over If-Modified-Since."""
    match = request.headers.get("if-none-match")
    if match is not None:
        tags = {t.strip().removeprefix("W/") for t in match.split(",")}
        return "*" in tags or etag in tags
    since = request.headers.get("if-modified-since")
    if since is None:
        return False
    try:
        return int(st.st_mtime) <= int(parsedate_to_datetime(since).timestamp())
    except (TypeError, ValueError, OverflowError):
        return False  # an unreadable date: send the file


def _chunks(f: BinaryIO) -> Iterator[bytes]:
    with f:
        while block := f.read(CHUNK):
            yield block


def _serve(request: Request, relative: str, media_type: str) -> Response:
    """One feed file with its validators, or a 304 when the client's copy is current."""
    _ensure_published(request)
    path = _root(request) / relative
    try:
        f = path.open("rb")  # this version, even if a rewrite renames another over it
    except FileNotFoundError:
        raise HTTPException(
            404, f"no {relative} in the feed: read /feeds/misp/manifest.json for its events"
        ) from None
    st = os.fstat(f.fileno())
    etag = _etag(st)
    headers = {
        "ETag": etag,
        "Last-Modified": formatdate(st.st_mtime, usegmt=True),
        "Cache-Control": "no-cache",  # keep it, but ask whether it changed
    }
    if _not_modified(request, etag, st):
        f.close()
        return Response(status_code=304, headers=headers)
    headers["Content-Length"] = str(st.st_size)
    if request.method == "HEAD":
        f.close()
        return Response(headers=headers, media_type=media_type)
    return StreamingResponse(_chunks(f), media_type=media_type, headers=headers)


MISP = PUBLISHED[FeedFormat.MISP]


def _route(path: str, summary: str) -> Callable[[Handler], Handler]:
    """GET in the API's docs, and HEAD beside it (one operation id each)."""

    def register(handler: Handler) -> Handler:
        router.head(path, include_in_schema=False)(handler)
        return router.get(path, summary=summary)(handler)

    return register


@_route("/misp/manifest.json", "MISP feed manifest")
def misp_manifest(request: Request) -> Response:
    """The MISP feed's index: event uuid → its summary (what MISP pulls first)."""
    return _serve(request, f"{MISP}/manifest.json", "application/json")


@_route("/misp/hashes.csv", "MISP feed hashes")
def misp_hashes(request: Request) -> Response:
    """``md5(attribute value),event uuid`` a line (MISP's feed cache and correlation)."""
    return _serve(request, f"{MISP}/hashes.csv", "text/csv; charset=utf-8")


@_route("/misp/{event_id}.json", "MISP feed event")
def misp_event(
    request: Request, event_id: Annotated[str, PathParam(pattern=UUID_PATTERN)]
) -> Response:
    """One day's event (``{"Event": {..., "Attribute": [...]}}``)."""
    return _serve(request, f"{MISP}/{event_id}.json", "application/json")


@_route("/stix/bundle.json", "STIX 2.1 bundle")
def stix_bundle(request: Request) -> Response:
    """Indicators, observables, observed data and sightings, under a TLP marking."""
    return _serve(request, PUBLISHED[FeedFormat.STIX], STIX_MEDIA_TYPE)


@_route("/domains.txt", "Domains, one a line")
def domains_txt(request: Request) -> Response:
    """One domain a line (IDNA): for blockers and DNS firewalls."""
    return _serve(request, PUBLISHED[FeedFormat.TXT], "text/plain; charset=utf-8")


@_route("/domains.csv", "Domains with their signals")
def domains_csv(request: Request) -> Response:
    """One row a domain with its numbers, signals and evidence."""
    return _serve(request, PUBLISHED[FeedFormat.CSV], "text/csv; charset=utf-8")
