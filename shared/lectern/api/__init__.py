"""HTTP plumbing shared by every function: app factory, errors, auth dependencies, the
query parameters many routes declare."""
