"""Function `notifications`: the caller's inbox and unread count, mark-read, preferences
per type, and the one-click unsubscribe every notification mail links to."""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup  # noqa: F401

# isort: split

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from lectern.api.app import create_app, lambda_handler
from lectern.api.deps import CurrentPrincipal, DbSession
from lectern.api.params import CursorParam, LimitParam
from lectern.api.responses import problems
from lectern.core.pagination import DEFAULT_PAGE_SIZE
from lectern.notifications import service
from lectern.notifications.schemas import (
    MAX_TOKEN,
    MarkReadIn,
    NotificationPage,
    PreferencesIn,
    PreferencesOut,
    UnreadOut,
    UnsubscribedOut,
    UnsubscribeIn,
)

router = APIRouter(prefix="/v1", tags=["notifications"], responses=problems(422, 503))


@router.get("/me/notifications", responses=problems(401))
def list_notifications(
    principal: CurrentPrincipal,
    db: DbSession,
    unread: bool = False,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> NotificationPage:
    """The caller's inbox, newest first (``unread=true``: the unread ones only), and the
    unread count (a counter: one read)."""
    return service.list_notifications(db, principal, unread=unread, limit=limit, cursor=cursor)


@router.post("/me/notifications/read", responses=problems(401))
def mark_read(body: MarkReadIn, principal: CurrentPrincipal, db: DbSession) -> UnreadOut:
    """Mark the caller's notifications read: ``{ids}`` or ``{all: true}``."""
    return service.mark_read(db, principal, body)


@router.get("/me/notification-preferences", responses=problems(401))
def get_preferences(principal: CurrentPrincipal, db: DbSession) -> PreferencesOut:
    return service.get_preferences(db, principal)


@router.put("/me/notification-preferences", responses=problems(401))
def put_preferences(
    body: PreferencesIn, principal: CurrentPrincipal, db: DbSession
) -> PreferencesOut:
    """Change some types' in-app and mail choices; the answer holds every type."""
    return service.put_preferences(db, principal, body)


async def _unsubscribe_token(
    request: Request,
    token: Annotated[
        str | None,
        Query(
            max_length=MAX_TOKEN,
            description="The token in the mail's List-Unsubscribe URL (one-click, RFC 8058).",
        ),
    ] = None,
) -> str:
    """The token from the URL (a mail client's one-click POST, its body
    ``List-Unsubscribe=One-Click``), else from the JSON body ``{token}``."""
    if token is not None:
        return token
    try:
        data: Any = await request.json()
    except ValueError:
        data = None
    try:
        return UnsubscribeIn.model_validate(data).token
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e.get("loc", ()))} for e in exc.errors()]
        if data is None or not isinstance(data, dict):
            errors = [{"type": "missing", "loc": ("body", "token"), "msg": "Field required"}]
        raise RequestValidationError(errors) from exc


_UNSUBSCRIBE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": False,
        "content": {
            "application/json": {"schema": UnsubscribeIn.model_json_schema()},
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {"List-Unsubscribe": {"type": "string", "enum": ["One-Click"]}},
                }
            },
        },
    }
}


@router.post(
    "/notifications/unsubscribe",
    openapi_extra=_UNSUBSCRIBE_BODY,
    responses={422: {"description": "The token is missing or not one Lectern issued."}},
)
def unsubscribe(
    token: Annotated[str, Depends(_unsubscribe_token)], db: DbSession
) -> UnsubscribedOut:
    """Turn one type's mail off with the token every mail carries; no sign-in."""
    return service.unsubscribe(db, token)


app = create_app(router, title="Lectern notifications")
handler = lambda_handler(app)
