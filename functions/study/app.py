"""Function `study`: flashcards and notes, FSRS reviews, the review queue, study stats."""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup  # noqa: F401

# isort: split

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Response, status

from lectern.ai.throttle import check_ai_requests
from lectern.api.app import create_app, lambda_handler
from lectern.api.deps import CurrentPrincipal, DbSession
from lectern.api.params import CursorParam, LimitParam
from lectern.api.responses import problems
from lectern.core.pagination import DEFAULT_PAGE_SIZE, Page
from lectern.core.times import DateTimeText
from lectern.study import items, reviews
from lectern.study.models import ItemType
from lectern.study.schemas import (
    DEFAULT_QUEUE,
    MAX_CLIENT_ID,
    GenerateIn,
    GenerateOut,
    ItemIn,
    ItemOut,
    ItemUpdateIn,
    QueueOut,
    ReviewIn,
    ReviewOut,
    StudyStatsOut,
)

router = APIRouter(prefix="/v1/study", tags=["study"], responses=problems(401, 422, 503))

Responses = dict[int | str, dict[str, Any]]
_NOT_FOUND: Responses = {404: {"description": "No such item, or not the caller's."}}
_PLACEMENT: Responses = {
    403: {"description": "lesson_id names a lesson of a course the caller is not enrolled in."},
    404: {"description": "course_id or lesson_id is unknown to the caller."},
}


@router.post("/items", status_code=status.HTTP_201_CREATED, responses=_PLACEMENT)
def create_item(body: ItemIn, principal: CurrentPrincipal, db: DbSession) -> ItemOut:
    return items.create_item(db, principal, body)


@router.post(
    "/items/generate",
    status_code=status.HTTP_201_CREATED,
    responses={
        403: {"description": "The lesson's course is not one the caller is enrolled in."},
        404: {"description": "No such lesson, or no such document of the caller's."},
        409: {"description": "The source has no processed text yet."},
        429: {"description": "Monthly AI quota used up, or too many AI requests this minute."},
        502: {"description": "The model's reply was not valid cards; nothing was stored."},
    },
)
def generate_items(body: GenerateIn, principal: CurrentPrincipal, db: DbSession) -> GenerateOut:
    # Imported here: generation brings the documents' and the AI usage models, which the
    # other study routes never touch (~55 ms of the function's cold start).
    from lectern.study import generate

    check_ai_requests(str(principal.user_id))
    return generate.generate(db, principal, body)


@router.get("/items")
def list_items(
    principal: CurrentPrincipal,
    db: DbSession,
    *,
    type: ItemType | None = None,
    due_before: DateTimeText | None = None,
    tag: Annotated[str | None, Query(max_length=40)] = None,
    course_id: uuid.UUID | None = None,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> Page[ItemOut]:
    return items.list_items(
        db,
        principal,
        item_type=type,
        due_before=due_before,
        tag=tag,
        course_id=course_id,
        limit=limit,
        cursor=cursor,
    )


@router.get("/items/{id}", responses=_NOT_FOUND)
def get_item(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> ItemOut:
    return items.get_item(db, principal, id)


@router.patch("/items/{id}", responses={**_PLACEMENT, **_NOT_FOUND})
def update_item(
    id: uuid.UUID, body: ItemUpdateIn, principal: CurrentPrincipal, db: DbSession
) -> ItemOut:
    return items.update_item(db, principal, id, body)


@router.delete("/items/{id}", status_code=status.HTTP_204_NO_CONTENT, responses=_NOT_FOUND)
def delete_item(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> Response:
    items.delete_item(db, principal, id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/items/{id}/reviews",
    status_code=status.HTTP_201_CREATED,
    responses={
        **_NOT_FOUND,
        409: {
            "description": "A note, a review older than the card's last one, or a retry "
            "whose key or time was used for a different review."
        },
    },
)
def review_item(
    id: uuid.UUID,
    body: ReviewIn,
    principal: CurrentPrincipal,
    db: DbSession,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=MAX_CLIENT_ID,
            pattern=r"^[A-Za-z0-9._:\-]+$",
            description="Makes a retried review a replay (the body's client_id likewise).",
        ),
    ] = None,
) -> ReviewOut:
    return reviews.review(db, principal, id, body, idempotency_key=idempotency_key)


@router.get("/queue")
def review_queue(
    principal: CurrentPrincipal, db: DbSession, limit: LimitParam = DEFAULT_QUEUE
) -> QueueOut:
    return reviews.queue(db, principal, limit=limit)


@router.get("/stats")
def study_stats(principal: CurrentPrincipal, db: DbSession) -> StudyStatsOut:
    return reviews.stats(db, principal)


app = create_app(router, title="Lectern study")
handler = lambda_handler(app)
