"""Lectern: the shared package (second Lambda layer) of the learning-platform backend."""
