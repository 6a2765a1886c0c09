"""Sharing: public, revocable, expiring read-only links to a course, a lesson or an exam."""
