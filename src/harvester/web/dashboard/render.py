"""Template environment and view helpers: charts and the step waterfall as SVG geometry,
mention highlighting as escaped segments, safe links. Nothing here builds HTML by hand:
the templates do, with autoescape on (comments are hostile text)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape

from harvester.kernel import timeline
from harvester.web import fn_config
from harvester.web.dashboard.glossary import GLOSSARY
from harvester.web.security import csrf_token, is_admin, safe_url, token_required

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
assert templates.env.autoescape, "autoescape must stay on"

MAX_STEP_DOMAINS = 24


def ts(value: Any) -> Markup:
    """A time (epoch seconds, datetime or ISO text) as ``YYYY-MM-DD HH:MM:SS UTC`` in a
    ``<time>`` element; app.js adds the reader's local time as its tooltip."""
    if value is None or value == "":
        return Markup("—")
    when = _as_datetime(value)
    if when is None:
        return escape(str(value))
    iso = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    shown = when.strftime("%Y-%m-%d %H:%M:%S")
    return Markup('<time datetime="{}" title="UTC">{} UTC</time>').format(iso, shown)


def _as_datetime(value: Any) -> datetime | None:
    """The UTC datetime ``value`` stands for, or None when it is no time."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def pretty_json(value: Any) -> str:
    """Indented JSON for <pre> blocks (escaped by the template)."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def compact_json(value: Any) -> str:
    """One-line JSON for table cells."""
    return json.dumps(value, ensure_ascii=False, default=str, separators=(", ", ": "))


def bars(
    series: list[dict[str, Any]], key: str, width: int = 560, height: int = 120
) -> list[dict[str, Any]]:
    """Bar geometry for the SVG fallback chart (attributes, not inline styles: CSP)."""
    values = [float(s.get(key) or 0) for s in series]
    top = max(values or [0]) or 1.0
    w = width / max(1, len(series))
    plot = height - 20
    return [
        {
            "x": round(i * w + 1, 1),
            "w": round(max(w - 2, 1), 1),
            "h": round(v / top * plot, 1),
            "y": round(plot - v / top * plot, 1),
            "label": str(s.get("label") or str(s.get("day"))[5:]),
            "value": s.get(key),
        }
        for i, (s, v) in enumerate(zip(series, values, strict=True))
    ]


def segments(text: str, spans: list[tuple[int, int]] | list[list[int]]) -> list[tuple[str, bool]]:
    """Split ``text`` into (part, is_match) around the mention spans; bad or overlapping
    spans are clipped, so the whole text is always shown exactly once."""
    out: list[tuple[str, bool]] = []
    pos = 0
    for start, end in sorted((int(a), int(b)) for a, b in spans):
        start, end = max(start, pos), min(end, len(text))
        if end <= start:
            continue
        if start > pos:
            out.append((text[pos:start], False))
        out.append((text[start:end], True))
        pos = end
    if pos < len(text) or not out:
        out.append((text[pos:], False))
    return out


def waterfall(
    run: dict[str, Any], now: float | None = None, width: float = 720.0
) -> dict[str, Any]:
    """Geometry of the run timeline: the run's life (queued, running, sleeping, waiting,
    backing off) on the first row, then each step attempt with the gap it caused."""
    segs = timeline.segments(run, now)
    t0 = float(run["created_at"])
    t1 = max([s.end for s in segs] + [t0])
    axis = timeline.Axis(segs, t0, t1)

    def geo(i: int, seg: timeline.Segment) -> dict[str, Any]:
        x = axis.x(seg.start, width)
        w = max(2.0, round(axis.x(seg.end, width) - x, 1))
        label = f"{seg.phase} {timeline.human(seg.duration)}"
        return {
            "x": x,
            "w": w,
            "phase": seg.phase.name.lower(),
            "label": label,
            "squeezed": i in axis.squeezed,
            "step": seg.step,
        }

    life = [geo(i, s) for i, s in enumerate(segs)]
    rows = []
    for i, s in enumerate(run["steps"]):
        rows.append(
            {
                **s,
                "offset": "+" + timeline.human(s["started_at"] - t0),
                "took": timeline.human(s["ended_at"] - s["started_at"]),
                "bars": [g for g in life if g["step"] == i and g["phase"] != "queued"],
                "domains": step_domains(s.get("output")),
            }
        )
    return {
        "life": life,
        "rows": rows,
        "span": timeline.human(t1 - t0),
        "ticks": timeline.ticks(axis, width),
        "width": width,
        "squeezed": bool(axis.squeezed),
        "phases": sorted({g["phase"] for g in life}),
        "idle": _idle_totals(segs),
    }


def _idle_totals(segs: list[timeline.Segment]) -> list[str]:
    """``queued 4 m 35 s``, ``sleeping 30 s``…: the run's idle time summed by phase."""
    totals: dict[timeline.Phase, float] = {}
    for s in segs:
        if s.phase in timeline.IDLE:
            totals[s.phase] = totals.get(s.phase, 0.0) + s.duration
    return [f"{p} {timeline.human(t)}" for p, t in totals.items()]


def step_domains(output: Any) -> list[str]:
    """Domain names a step reported (extraction steps list the new ones)."""
    if isinstance(output, dict):
        for key in ("new_domains", "domains"):
            names = output.get(key)
            if isinstance(names, list):
                return [n for n in names if isinstance(n, str)][:MAX_STEP_DOMAINS]
    return []


def trigger_label(trigger: dict[str, Any]) -> str:
    """``event NAME [if EXPR]`` or ``cron EXPR``."""
    if trigger.get("cron"):
        return f"cron {trigger['cron']}"
    expr = trigger.get("expression")
    return f"event {trigger.get('event')}" + (f" if {expr}" if expr else "")


def percent(value: float | None) -> str:
    """0.9512 → ``95.1%``; None → an em dash."""
    return "—" if value is None else f"{value * 100:.1f}%"


def filesize(n: int | None) -> str:
    """1536 → ``1.5 KB``; None → an em dash."""
    if n is None:
        return "—"
    size = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"  # not reached


templates.env.filters.update(
    filesize=filesize,
    ts=ts,
    tojson_pretty=pretty_json,
    compact_json=compact_json,
    safe_url=safe_url,
    percent=percent,
    trigger=trigger_label,
    human=timeline.human,
)
templates.env.globals.update(
    bars=bars,
    segments=segments,
    waterfall=waterfall,
    fn_options=fn_config.describe,
    glossary=GLOSSARY,
)


def page(request: Request, name: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
    """Render a page with the CSRF token and the admin flag every form needs."""
    holder = HTMLResponse("")
    token = csrf_token(request, holder)
    html = templates.get_template(name).render(
        request=request,
        csrf=token,
        admin=is_admin(request),
        login_needed=token_required(request) and not is_admin(request),
        nav=request.url.path,
        kill_switch=getattr(request.state, "kill_switch", None),
        **ctx,
    )
    out = HTMLResponse(html, status_code=status_code)
    for k, v in holder.headers.items():
        if k.lower() == "set-cookie":
            out.headers.append(k, v)
    return out
