"""Subscriptions from Polar's webhooks, and the entitlements their plans give."""
