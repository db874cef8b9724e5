"""All the harvester's functions, built around their dependencies."""

from __future__ import annotations

from typing import Any

import inngest

from harvester.jobs.deps import JobDeps
from harvester.jobs.functions import (
    cleanup,
    discovery,
    enrichment,
    extraction,
    feeds,
    harvest,
    health,
    import_runs,
    resolution,
    system,
)


def build_functions(client: inngest.Inngest, deps: JobDeps) -> list[inngest.Function[Any]]:
    """The functions served at /api/inngest, in pipeline order."""
    return [
        discovery.build(client, deps),
        harvest.build(client, deps),
        extraction.build(client, deps),
        resolution.build(client, deps),
        *enrichment.build(client, deps),
        feeds.build(client, deps),
        cleanup.build(client, deps),
        health.build(client, deps),
        import_runs.build(client, deps),
        *system.build(client, deps),
    ]
