"""FastAPI: dashboard pages, the JSON API and the Inngest serve endpoint."""
