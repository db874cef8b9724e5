"""JSON API for the harvester's data (the engine adds its run API beside it)."""

from harvester.web.api.routes import router

__all__ = ["router"]
