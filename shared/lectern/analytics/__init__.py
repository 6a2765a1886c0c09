"""Analytics: events in, daily rollups out, behind one port (Postgres now, ClickHouse later)."""
