"""Postgres access: the engine, sessions and the typed models."""
