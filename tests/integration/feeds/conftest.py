"""The pipeline fixture of the jobs tests: a started runtime on the simulator."""

from __future__ import annotations

from tests.integration.jobs.conftest import NOW, PipelineFactory, pipeline

__all__ = ["NOW", "PipelineFactory", "pipeline"]
