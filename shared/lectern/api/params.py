"""Query parameters that many routes declare: a page's ``limit`` and ``cursor``.

The numbers are core's (``lectern.core.pagination``); here they become FastAPI
parameters. A route keeps its own default (``limit: LimitParam = DEFAULT_PAGE_SIZE``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from lectern.core.pagination import (
    CURSOR_DESCRIPTION,
    LIMIT_DESCRIPTION,
    MAX_CURSOR,
    MAX_PAGE_SIZE,
)

LimitParam = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description=LIMIT_DESCRIPTION)]
CursorParam = Annotated[str | None, Query(max_length=MAX_CURSOR, description=CURSOR_DESCRIPTION)]
