"""Server-rendered dashboard (Jinja2, no JavaScript needed; CSP-strict)."""

from pathlib import Path

from harvester.web.dashboard.pages import router

STATIC_DIR = Path(__file__).parent / "static"

__all__ = ["STATIC_DIR", "router"]
