"""Alembic, driven from code: the migrate function, the local stack and the tests use it."""

from __future__ import annotations

import re
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext

from lectern.db.engine import make_oneshot_engine

REPO_MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"
# Monthly partitions of ``events`` and ``audit_log`` are made by the scheduler, not by the
# models: schema comparisons (autogenerate, the drift test) leave them out.
EVENT_PARTITION = re.compile(r"^(events|audit_log)_p\d{6}$")
# So are the per-model HNSW indexes on ``chunks`` (lectern.embeddings.registry).
EMBEDDING_INDEX = re.compile(r"^ix_chunks_embedding_model_\d+$")


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    if not reflected or not name:
        return True
    if type_ == "table" and EVENT_PARTITION.match(name):
        return False
    return not (type_ == "index" and EMBEDDING_INDEX.match(name))


def alembic_config(url: str, script_location: Path = REPO_MIGRATIONS) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    # Alembic's config interpolates %; the URL may carry %-escapes.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head", *, script_location: Path = REPO_MIGRATIONS) -> str:
    command.upgrade(alembic_config(url, script_location), revision)
    return current_revision(url) or "base"


def downgrade(url: str, revision: str, *, script_location: Path = REPO_MIGRATIONS) -> None:
    command.downgrade(alembic_config(url, script_location), revision)


def current_revision(url: str) -> str | None:
    engine = make_oneshot_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
