"""The ingest queue: Amazon SQS (moto's SQS locally)."""
