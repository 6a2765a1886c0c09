"""Embedding models known to the database, each with its own HNSW index.

The first time a model is used it gets a row in ``embedding_models`` and a partial
expression index on ``chunks`` (cosine, cast to the model's size, ``WHERE model_id =
<id>``): vectors of different models and sizes share one table, and a new model is a
re-embed, not a migration. Searches must use the same expression to reach the index:
see ``embedding_expression``.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from lectern.db.engine import get_engine
from lectern.embeddings.port import Embedder

_known: dict[str, int] = {}


def index_name(model_id: int) -> str:
    return f"ix_chunks_embedding_model_{model_id}"


def embedding_expression(dimensions: int) -> str:
    return f"(embedding::vector({int(dimensions)}))"


def ensure_model(embedder: Embedder, engine: Engine | None = None) -> int:
    """The model's id, registering it and building its index on first use.

    Runs in its own committed transaction, so the id cached here always exists.
    """
    cached = _known.get(embedder.name)
    if cached is not None:
        return cached
    with (engine or get_engine()).begin() as db:
        model_id = _register(db, embedder)
    _known[embedder.name] = model_id
    return model_id


def _register(db: Connection, embedder: Embedder) -> int:
    # One registrar at a time: two containers must not both build the index.
    db.execute(text("SELECT pg_advisory_xact_lock(hashtext('lectern.embedding_models'))"))
    model_id = db.execute(
        text(
            "INSERT INTO embedding_models (name, provider, dimensions)"
            " VALUES (:name, :provider, :dimensions)"
            " ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id, dimensions"
        ),
        {"name": embedder.name, "provider": embedder.provider, "dimensions": embedder.dimensions},
    ).one()
    if model_id.dimensions != embedder.dimensions:
        raise ValueError(f"model {embedder.name} is registered with other dimensions")
    db.execute(
        text(
            f"CREATE INDEX IF NOT EXISTS {index_name(model_id.id)} ON chunks"
            f" USING hnsw ({embedding_expression(embedder.dimensions)} vector_cosine_ops)"
            f" WHERE model_id = {int(model_id.id)}"
        )
    )
    return int(model_id.id)


def forget_models() -> None:
    """Drop the per-process cache (tests that reset the database)."""
    _known.clear()
