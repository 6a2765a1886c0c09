"""Query parameters that many routes declare: a page's ``limit`` and ``cursor``, a day.

The numbers are core's (``lectern.core.pagination``); here they become FastAPI
parameters. A route keeps its own default (``limit: LimitParam = DEFAULT_PAGE_SIZE``).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from fastapi import Query
from pydantic import BeforeValidator

from lectern.core.pagination import (
    CURSOR_DESCRIPTION,
    LIMIT_DESCRIPTION,
    MAX_CURSOR,
    MAX_PAGE_SIZE,
)

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _calendar_date(value: object) -> object:
    # Unchecked, "0" or "1700000000" would be read as a Unix time.
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date written YYYY-MM-DD")
    return value


# A query parameter that is a day, written as the spec's ``format: date`` says.
DateParam = Annotated[date, BeforeValidator(_calendar_date)]

LimitParam = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description=LIMIT_DESCRIPTION)]
CursorParam = Annotated[str | None, Query(max_length=MAX_CURSOR, description=CURSOR_DESCRIPTION)]
