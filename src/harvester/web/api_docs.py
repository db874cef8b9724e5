"""``/docs`` (Swagger UI) and ``/redoc`` (ReDoc) served from the package's own files.

FastAPI's built-in pages load their scripts from a CDN and start them with an inline
script, both refused by our Content-Security-Policy. These pages load the vendored
bundles from ``/static/vendor`` and start them from ``/static/api-docs.js``.
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from harvester.web.security import SECURITY_HEADERS

router = APIRouter(include_in_schema=False)
# The <style> elements redoc.standalone.js inserts while loading, before Redoc.init
# hands it the nonce: an empty one and perfect-scrollbar's CSS (redoc 2.5.4).
REDOC_STYLE_HASHES = (
    "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
    "'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='",
)

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
{head}
</head>
<body>
<div id="{root}" data-spec-url="{spec}" data-nonce="{nonce}"></div>
<script src="/static/vendor/{bundle}"></script>
<script src="/static/api-docs.js"></script>
</body>
</html>
"""


def _csp(nonce: str, style_hashes: tuple[str, ...] = ()) -> str:
    """The app's CSP, plus styles carrying this response's nonce (ReDoc's <style>s)."""
    base = SECURITY_HEADERS["Content-Security-Policy"]
    extra = " ".join((f"'nonce-{nonce}'", *style_hashes))
    return base.replace("style-src 'self'", f"style-src 'self' {extra}")


def _page(
    request: Request,
    *,
    title: str,
    root: str,
    bundle: str,
    head: str,
    style_hashes: tuple[str, ...] = (),
) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    html = _PAGE.format(
        title=title,
        head=head,
        root=root,
        bundle=bundle,
        spec=request.app.openapi_url or "/openapi.json",
        nonce=nonce,
    )
    return HTMLResponse(html, headers={"Content-Security-Policy": _csp(nonce, style_hashes)})


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    """Swagger UI over this app's OpenAPI document."""
    css = '<link rel="stylesheet" href="/static/vendor/swagger-ui.css">'
    return _page(
        request,
        title="TikTok Domain Harvester — API (Swagger UI)",
        root="swagger-ui",
        bundle="swagger-ui-bundle.js",
        head=css,
    )


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    """ReDoc over this app's OpenAPI document."""
    return _page(
        request,
        title="TikTok Domain Harvester — API (ReDoc)",
        root="redoc",
        bundle="redoc.standalone.js",
        head="",
        style_hashes=REDOC_STYLE_HASHES,
    )
