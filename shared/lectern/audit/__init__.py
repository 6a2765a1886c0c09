"""Audit: an append-only record of sensitive actions, written in each action's own
transaction, readable by admins, kept for a configured time in monthly partitions."""
