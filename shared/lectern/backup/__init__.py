"""Backups: consistent exports of every app table to the bucket, verified by a restore
into a scratch database; the restore command for people (``python -m lectern.backup``)."""
