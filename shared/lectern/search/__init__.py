"""Full-text search: the index port and its adapters (Postgres, Typesense), and the outbox."""
