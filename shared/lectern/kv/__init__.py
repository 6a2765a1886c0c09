"""Upstash Redis over HTTP: one client per container, namespaced keys, bounded waits."""
