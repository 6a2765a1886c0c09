"""Badges: rule-based awards, each an Open Badges 3.0 credential anyone can verify."""
