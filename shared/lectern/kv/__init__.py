"""Upstash Redis over HTTP: one client per container, namespaced keys, bounded waits."""

from lectern.kv.client import KVUnavailable, get_kv, key, reset_kv

__all__ = ["KVUnavailable", "get_kv", "key", "reset_kv"]
