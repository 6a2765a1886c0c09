"""Embeddings: the ``Embedder`` port (``port``), its adapters, and the factory that picks one."""
