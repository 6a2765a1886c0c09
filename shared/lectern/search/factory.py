"""Which search index serves: the Postgres adapter, or Typesense when
``LECTERN_SEARCH_BACKEND`` says so. Each adapter is imported only when chosen.

Typesense is reached with two keys: the drain and the migration hold the admin key
(``get_index``); searches and the health check hold a key that may only search
(``get_search_index``), so the search function never reads the admin key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lectern.config import get_settings
from lectern.core.cache import cached_client, forget

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from lectern.search.port import SearchIndex
    from lectern.search.typesense import TypesenseIndex


def get_index(db: Session) -> SearchIndex:
    """The configured index, to write (the drain). The Postgres adapter works in the
    caller's session (one connection per Lambda container, and the drain's writes commit
    with its outbox deletes); the Typesense client is made once per container."""
    if get_settings().search.backend == "typesense":
        return get_typesense_index()
    from lectern.search.postgres import PostgresIndex

    return PostgresIndex(db)


def get_search_index(db: Session) -> SearchIndex:
    """The configured index, to search: Typesense through its search-only key."""
    if get_settings().search.backend == "typesense":
        return get_typesense_search_index()
    from lectern.search.postgres import PostgresIndex

    return PostgresIndex(db)


def _close(index: TypesenseIndex) -> None:
    index.close()


def _typesense(*, search_only: bool) -> TypesenseIndex:
    from lectern.search.typesense import TypesenseIndex, TypesenseSettings

    return TypesenseIndex.from_settings(
        TypesenseSettings(),
        secret_max_age=get_settings().aws.secret_max_age_seconds,
        search_only=search_only,
    )


@cached_client(close=_close)
def get_typesense_index() -> TypesenseIndex:
    return _typesense(search_only=False)


@cached_client(close=_close)
def get_typesense_search_index() -> TypesenseIndex:
    return _typesense(search_only=True)


def reset_index() -> None:
    """Forget the cached Typesense clients, closing them (after the settings changed)."""
    forget(get_typesense_index)
    forget(get_typesense_search_index)


def ensure_search_key() -> bool:
    """Register the search-only key with Typesense (the migrate function runs this);
    False when search is not on Typesense."""
    if get_settings().search.backend != "typesense":
        return False
    from lectern.search.typesense import TypesenseSettings, read_key

    settings = TypesenseSettings()
    max_age = get_settings().aws.secret_max_age_seconds
    value = read_key(settings, secret_max_age=max_age, search_only=True)
    if value == read_key(settings, secret_max_age=max_age, search_only=False):
        raise ValueError("LECTERN_TYPESENSE_SEARCH_API_KEY must not be the admin key")
    get_typesense_index().ensure_search_key(value)
    return True


def check_search() -> None:
    """Health check of the search index. Postgres full-text is up when the database is
    (health.py reports it as such); Typesense answers its /health endpoint."""
    if get_settings().search.backend == "typesense":
        get_typesense_search_index().check()
