"""Cached clients register themselves, so one reset reaches every one of them."""

import functools
import importlib
import pkgutil

import lectern
from lectern.core import cache
from lectern.core.cache import cached_client, forget, reset_cached_clients

# Caches that are not clients made from the settings: the registry of installed
# contexts and its tasks (fixed for the process), and Powertools' logger and metrics,
# which modules keep from import time.
NOT_CLIENTS = {
    "lectern.assessment.selection._text",  # statements made from fixed SQL, no client
    "lectern.db.dialect.numbered",  # placeholder conversions of fixed SQL, no client
    "lectern.core.registry.get_registry",
    "lectern.core.upkeep.tasks",
    "lectern.observability.get_logger",
    "lectern.observability.get_metrics",
}


def test_a_reset_keeps_what_it_is_told_to_keep():
    @cached_client
    def settings() -> object:
        return object()

    @cached_client
    def client() -> object:
        return object()

    try:
        kept, dropped = settings(), client()
        reset_cached_clients(keep=(settings,))
        assert settings() is kept
        assert client() is not dropped
    finally:
        cache._registered[:] = [e for e in cache._registered if e.getter not in (settings, client)]


def test_a_reset_forgets_the_client_and_closes_it_first():
    made: list[object] = []
    closed: list[object] = []

    @cached_client(close=closed.append)
    def client() -> object:
        made.append(object())
        return made[-1]

    try:
        assert client() is client()
        reset_cached_clients()
        assert closed == made[:1]
        assert client() is made[1]
        forget(client)
        assert closed == made
    finally:
        cache._registered[:] = [e for e in cache._registered if e.getter is not client]


def test_every_cached_getter_in_lectern_is_registered():
    for info in pkgutil.walk_packages(lectern.__path__, "lectern."):
        importlib.import_module(info.name)
    registered = {id(e.getter) for e in cache._registered}
    unregistered = set()
    for info in pkgutil.walk_packages(lectern.__path__, "lectern."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if (
                isinstance(value, functools._lru_cache_wrapper)
                and value.__module__ == module.__name__
                and id(value) not in registered
            ):
                unregistered.add(f"{module.__name__}.{name}")
    assert unregistered == NOT_CLIENTS
