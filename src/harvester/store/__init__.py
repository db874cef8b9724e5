"""Storage: the database, the models, the migrations and the queries the jobs use."""

from harvester.store.db import Database
from harvester.store.migrate import upgrade

__all__ = ["Database", "upgrade"]
