"""One TLS client context for the services the functions call (Neon, Upstash).

Building a context reads a root bundle, about 20 ms; one context serves every
connection of a container. The roots are certifi's, which the HTTP clients of the deps
layer (httpx, requests) trust too, so one bundle is read, not that and the system's.
"""

from __future__ import annotations

import ssl

from lectern.core.cache import cached_client


@cached_client  # so a SnapStart restore drops it with the connections made over it
def client_context() -> ssl.SSLContext:
    """Verifies the server's certificate and name (made on first use)."""
    import certifi

    return ssl.create_default_context(cafile=certifi.where())
