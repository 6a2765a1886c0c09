"""Search: the full-text index (Postgres or Typesense) and its drain."""

from lectern.core.registry import Context

CONTEXT = Context(name="search", models="lectern.search.models")
