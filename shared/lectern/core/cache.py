"""Settings and clients made once per container, and one way to forget them all.

A Lambda container keeps its clients across invocations, so each getter that makes one
is ``@cached_client``: an ``lru_cache`` that also records itself here. Whoever changes
the environment under a running process (tests, mostly) calls
``reset_cached_clients()``, which reaches every such cache, including ones added later,
instead of a hand-kept list that misses some.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, TypeVar, overload

T = TypeVar("T")


@dataclass(frozen=True)
class _Registered:
    getter: functools._lru_cache_wrapper[Any]
    close: Callable[[Any], object] | None


_registered: list[_Registered] = []


@overload
def cached_client(fn: Callable[[], T], /) -> functools._lru_cache_wrapper[T]: ...


@overload
def cached_client(
    *, maxsize: int = 1
) -> Callable[[Callable[..., T]], functools._lru_cache_wrapper[T]]: ...


@overload
def cached_client(
    *, maxsize: int = 1, close: Callable[[T], object]
) -> Callable[[Callable[..., T]], functools._lru_cache_wrapper[T]]: ...


def cached_client(
    fn: Callable[..., T] | None = None,
    /,
    *,
    maxsize: int = 1,
    close: Callable[[T], object] | None = None,
) -> Any:
    """``functools.lru_cache`` that ``reset_cached_clients`` can clear.

    ``close`` (for a getter without arguments) is called with the cached client before
    it is forgotten: a connection pool disposed, an HTTP client closed.
    """

    def register(getter: Callable[..., T]) -> functools._lru_cache_wrapper[T]:
        cached = functools.lru_cache(maxsize=maxsize)(getter)
        _registered.append(_Registered(cached, close))
        return cached

    return register(fn) if fn is not None else register


def forget(getter: functools._lru_cache_wrapper[Any]) -> None:
    """Close (when it has a close hook) and forget what one registered getter holds."""
    for entry in _registered:
        if entry.getter is getter:
            if entry.close is not None and getter.cache_info().currsize:
                entry.close(getter())
            getter.cache_clear()
            return
    raise ValueError(f"{getter!r} is not a cached client")


def reset_cached_clients(*, keep: Collection[Callable[..., Any]] = ()) -> None:
    """Forget every cached setting and client but those in ``keep``, newest first
    (clients before the settings they were made from)."""
    for entry in reversed(_registered):
        if entry.getter not in keep:
            forget(entry.getter)
