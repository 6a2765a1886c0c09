"""What a database error means, read from the server's SQLSTATE."""

from __future__ import annotations

from sqlalchemy import exc as sa_exc


def sqlstate(exc: sa_exc.DBAPIError) -> str | None:
    """The five-character SQLSTATE pg8000 carries in its error's first argument."""
    details = exc.orig.args[0] if exc.orig is not None and exc.orig.args else None
    code = details.get("C") if isinstance(details, dict) else None
    return str(code) if code else None
