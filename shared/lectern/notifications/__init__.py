"""Notifications: an in-app inbox per user, preferences per type, and mail (immediate or
a daily digest) through the outbox."""
