"""Catalog: courses, modules and lessons, and who may see or change them."""
