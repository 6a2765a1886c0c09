"""Outgoing mail: Amazon SES (moto's SES locally)."""
