"""The ingest pipeline: uploaded documents and lessons become chunks with embeddings.

``messages`` reads what arrives on the ingest queue (S3 notifications, R2 event
notifications, Lectern's own "process" messages), ``extract`` turns bytes into text,
``chunking`` cuts text into overlapping chunks on sentence boundaries, and ``pipeline``
embeds them and writes them idempotently. ``cloudflare`` pulls R2 events from a
Cloudflare Queue for the scheduled consumer.
"""
