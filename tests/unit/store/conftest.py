from tests.unit.store.backends import postgres_guard_db, postgres_store_db

__all__ = ["postgres_guard_db", "postgres_store_db"]
