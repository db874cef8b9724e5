"""Template environment and small view helpers (charts as SVG, text highlighting)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from harvester.web.security import csrf_token, is_admin

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _ts(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value, UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S") if isinstance(value, datetime) else str(value)


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def bars(
    series: list[dict[str, Any]], key: str, width: int = 560, height: int = 120
) -> list[dict[str, Any]]:
    """Bar geometry for an SVG chart (attributes, not inline styles: CSP-safe)."""
    top = max([s[key] for s in series] or [0]) or 1
    w = width / max(1, len(series))
    return [
        {
            "x": round(i * w + 1, 1),
            "w": round(w - 2, 1),
            "h": round(s[key] / top * (height - 20), 1),
            "y": round(height - 20 - s[key] / top * (height - 20), 1),
            "label": s["day"][5:],
            "value": s[key],
        }
        for i, s in enumerate(series)
    ]


def highlight(text: str, start: int, end: int) -> tuple[str, str, str]:
    """(before, match, after): the template escapes each part and marks the match."""
    return text[:start], text[start:end], text[end:]


templates.env.filters["ts"] = _ts
templates.env.filters["tojson_pretty"] = _json
templates.env.globals["bars"] = bars
templates.env.globals["highlight"] = highlight


def page(request: Request, name: str, **ctx: Any) -> HTMLResponse:
    """Render a page with the CSRF token and the admin flag every form needs."""
    response = HTMLResponse("")
    token = csrf_token(request, response)
    html = templates.get_template(name).render(
        request=request, csrf=token, admin=is_admin(request), **ctx
    )
    out = HTMLResponse(html, status_code=ctx.get("status_code", 200))
    for k, v in response.headers.items():
        if k.lower() == "set-cookie":
            out.headers.append(k, v)
    return out
