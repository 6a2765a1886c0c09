"""Accounts, passwords, magic links and sessions."""
