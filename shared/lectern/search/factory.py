"""Which search index serves: the Postgres adapter, or Typesense when
``LECTERN_SEARCH_BACKEND`` says so. Each adapter is imported only when chosen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lectern.config import get_settings
from lectern.core.cache import cached_client, forget

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from lectern.search.port import SearchIndex
    from lectern.search.typesense import TypesenseIndex


def get_index(db: Session) -> SearchIndex:
    """The configured index. The Postgres adapter works in the caller's session (one
    connection per Lambda container, and the drain's writes commit with its outbox
    deletes); the Typesense client is made once per container."""
    if get_settings().search.backend == "typesense":
        return get_typesense_index()
    from lectern.search.postgres import PostgresIndex

    return PostgresIndex(db)


def _close(index: TypesenseIndex) -> None:
    index.close()


@cached_client(close=_close)
def get_typesense_index() -> TypesenseIndex:
    from lectern.search.typesense import TypesenseIndex, TypesenseSettings

    return TypesenseIndex.from_settings(
        TypesenseSettings(), secret_max_age=get_settings().aws.secret_max_age_seconds
    )


def reset_index() -> None:
    """Forget the cached Typesense client, closing it (after the settings changed)."""
    forget(get_typesense_index)


def check_search() -> None:
    """Health check of the search index. Postgres full-text is up when the database is
    (health.py reports it as such); Typesense answers its /health endpoint."""
    if get_settings().search.backend == "typesense":
        get_typesense_index().check()
