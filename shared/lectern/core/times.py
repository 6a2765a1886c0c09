"""A time as the spec writes it (``format: date-time``): an RFC 3339 string.

Pydantic alone also reads a number, or a string of digits, as a Unix time: ``0.5`` would
be 1970-01-01. Bodies and query parameters that take a time use ``DateTimeText``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BeforeValidator

_RFC_3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _rfc_3339_text(value: object) -> object:
    if isinstance(value, datetime):  # from Python callers, not from the wire
        return value
    if not isinstance(value, str) or not _RFC_3339.match(value):
        raise ValueError("must be an RFC 3339 date-time, e.g. 2026-03-01T12:00:00Z")
    return value


DateTimeText = Annotated[AwareDatetime, BeforeValidator(_rfc_3339_text)]
