"""How the pages name where data came from: the pipeline's own source (the simulator,
TikTok's Research API, a worker) or an import, as its format and file
(``Zeeschuimer NDJSON · posts.ndjson``)."""

from __future__ import annotations

from typing import Any

from harvester.tiktok.imports import READERS

PIPELINE_TITLES = {"simulator": "simulator", "research": "Research API", "webhook": "worker"}
FORMAT_TITLES = {str(r.format): r.title for r in READERS}


def source_title(source: object) -> str:
    """The title of the pipeline's configured source (``research`` → ``Research API``)."""
    return PIPELINE_TITLES.get(str(source), str(source))


def format_title(collector: str) -> str:
    """An import format as people call it (``zeeschuimer`` → ``Zeeschuimer NDJSON``)."""
    return FORMAT_TITLES.get(collector, collector)


def source_label(found: dict[str, Any], pipeline: str) -> str:
    """One video's or mention group's source: ``pipeline`` when no import brought it,
    else the import's format and, when known, its file."""
    collector = found.get("collector")
    if not collector:
        return pipeline
    title = format_title(collector)
    return f"{title} · {found['file']}" if found.get("file") else f"{title} (import)"
