"""Function `migrate`: apply the Alembic migrations in a deployed stage.

Runs over the direct (non-pooled) Neon endpoint: DDL and advisory locks need a real
session, which the transaction-mode pooler does not give. Invoke it after each deploy:
``aws lambda invoke --function-name <MigrateFunction> out.json``.

When search is on Typesense it also registers the search function's key, with the
admin key: a key that may only search Lectern's collection (``documents:search``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lectern.config import database_url, get_settings
from lectern.db.engine import make_oneshot_engine
from lectern.db.migrations import upgrade

# Packaged beside this file by the SAM build (see the Makefile's build-MigrateFunction).
SCRIPT_LOCATION = Path(__file__).resolve().parent / "migrations"


def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
    revision = str((event or {}).get("revision", "head"))
    url = database_url(get_settings(), direct=True)
    applied = upgrade(url, revision, script_location=SCRIPT_LOCATION)
    report: dict[str, Any] = {"status": "ok", "revision": applied}
    if revision == "head":
        report["embedding_model_id"] = _register_embedding_model(url)
        report["typesense_search_key"] = _register_search_key()
    return report


def _register_search_key() -> str:
    from lectern.search.factory import ensure_search_key

    return "registered" if ensure_search_key() else "not used"


def _register_embedding_model(url: str) -> int:
    """Build the configured model's vector index now, not in the first ingest's request."""
    from lectern.embeddings.factory import get_embedder
    from lectern.embeddings.registry import ensure_model

    engine = make_oneshot_engine(url)
    try:
        return ensure_model(get_embedder(), engine)
    finally:
        engine.dispose()
