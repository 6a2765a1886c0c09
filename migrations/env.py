"""Alembic environment: runs online against the URL the caller configured."""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from lectern.core.registry import get_registry
from lectern.db.engine import make_oneshot_engine
from lectern.db.migrations import include_object

config = context.config
# Every installed context's models, so autogenerate and comparisons see all tables.
target_metadata = get_registry().metadata()
# One migrator at a time per database, even when two deploys race.
MIGRATION_LOCK_ID = 7_201_000_001


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("sqlalchemy.url is not set")
    # Same TLS and statement timeout as the app's engine (Neon needs TLS).
    engine = make_oneshot_engine(url)
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                compare_type=True,
                include_object=include_object,
                transaction_per_migration=True,
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})
            connection.commit()
    engine.dispose()


if context.is_offline_mode():
    raise RuntimeError(
        "Lectern migrations run online only (the migrate function, make dev, tests)."
    )
run_migrations_online()
