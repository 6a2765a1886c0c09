"""Function `forums`: a course's threads and replies, votes, moderation (pin, close,
endorse, delete), flags and follows."""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup  # noqa: F401

# isort: split

import uuid
from typing import Any

from fastapi import APIRouter, Response, status

from lectern.api.app import create_app, lambda_handler
from lectern.api.deps import CurrentPrincipal, DbSession
from lectern.api.params import CursorParam, LimitParam
from lectern.api.responses import problems
from lectern.core.pagination import DEFAULT_PAGE_SIZE
from lectern.forums import flags, replies, threads, votes
from lectern.forums.schemas import (
    FlagIn,
    FlagPage,
    ReplyIn,
    ReplyOut,
    ReplyPage,
    Sort,
    ThreadDetailOut,
    ThreadIn,
    ThreadPage,
    ThreadUpdateIn,
    VoteIn,
    VoteOut,
)

router = APIRouter(prefix="/v1", tags=["forums"], responses=problems(401, 422, 503))

Responses = dict[int | str, dict[str, Any]]
_MEMBERS: Responses = {
    403: {"description": "Not enrolled in the course (nor its owner or an admin)."},
    404: {"description": "No such course, thread or reply, or the course is hidden."},
}
_MODERATORS: Responses = {
    **_MEMBERS,
    403: {"description": "Only the course's owner or an admin moderates its forum."},
}
_VOTE: Responses = {
    **_MEMBERS,
    409: {"description": "The post is the caller's own, or deleted."},
}


def _no_content() -> Response:
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/courses/{id}/threads",
    status_code=status.HTTP_201_CREATED,
    responses={**problems(429), **_MEMBERS},
)
def create_thread(
    id: uuid.UUID, body: ThreadIn, principal: CurrentPrincipal, db: DbSession
) -> ThreadDetailOut:
    """Start a thread (its author follows it)."""
    return threads.create_thread(db, principal, id, body)


@router.get("/courses/{id}/threads", responses=_MEMBERS)
def list_threads(
    id: uuid.UUID,
    principal: CurrentPrincipal,
    db: DbSession,
    *,
    sort: Sort = "recent",
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> ThreadPage:
    """Pinned first, then by latest activity, top score, or unanswered (no reply yet)."""
    return threads.list_threads(db, principal, id, sort=sort, limit=limit, cursor=cursor)


@router.get("/courses/{id}/flags", responses=_MODERATORS)
def list_flags(
    id: uuid.UUID,
    principal: CurrentPrincipal,
    db: DbSession,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> FlagPage:
    """The course's flagged posts, newest first (moderators)."""
    return flags.list_flags(db, principal, id, limit=limit, cursor=cursor)


@router.get("/threads/{id}", responses=_MEMBERS)
def get_thread(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> ThreadDetailOut:
    return threads.get_thread(db, principal, id)


@router.patch(
    "/threads/{id}",
    responses={
        **_MEMBERS,
        403: {
            "description": "A field the caller may not change (author: text; moderator: pin, lock)."
        },
        409: {"description": "The thread is deleted."},
    },
)
def update_thread(
    id: uuid.UUID, body: ThreadUpdateIn, principal: CurrentPrincipal, db: DbSession
) -> ThreadDetailOut:
    return threads.update_thread(db, principal, id, body)


@router.delete("/threads/{id}", status_code=status.HTTP_204_NO_CONTENT, responses=_MEMBERS)
def delete_thread(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> Response:
    """The author or a moderator: the thread reads as deleted, its replies stay."""
    threads.delete_thread(db, principal, id)
    return _no_content()


@router.post(
    "/threads/{id}/replies",
    status_code=status.HTTP_201_CREATED,
    responses={
        **problems(429),
        **_MEMBERS,
        409: {"description": "The thread is closed or deleted."},
    },
)
def create_reply(
    id: uuid.UUID, body: ReplyIn, principal: CurrentPrincipal, db: DbSession
) -> ReplyOut:
    """Reply to the thread, or to one of its top-level replies; its followers hear of it."""
    return replies.create_reply(db, principal, id, body)


@router.get("/threads/{id}/replies", responses=_MEMBERS)
def list_replies(
    id: uuid.UUID,
    principal: CurrentPrincipal,
    db: DbSession,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> ReplyPage:
    """Endorsed replies first, then oldest first."""
    return replies.list_replies(db, principal, id, limit=limit, cursor=cursor)


@router.delete("/replies/{id}", status_code=status.HTTP_204_NO_CONTENT, responses=_MEMBERS)
def delete_reply(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> Response:
    replies.delete_reply(db, principal, id)
    return _no_content()


@router.put("/threads/{id}/vote", responses=_VOTE)
def vote_thread(id: uuid.UUID, body: VoteIn, principal: CurrentPrincipal, db: DbSession) -> VoteOut:
    return votes.vote_thread(db, principal, id, body.value)


@router.put("/replies/{id}/vote", responses=_VOTE)
def vote_reply(id: uuid.UUID, body: VoteIn, principal: CurrentPrincipal, db: DbSession) -> VoteOut:
    return votes.vote_reply(db, principal, id, body.value)


@router.post(
    "/replies/{id}/endorse",
    responses={**_MODERATORS, 409: {"description": "The reply is deleted."}},
)
def endorse_reply(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> ReplyOut:
    return replies.endorse(db, principal, id, on=True)


@router.delete("/replies/{id}/endorse", responses=_MODERATORS)
def unendorse_reply(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> ReplyOut:
    return replies.endorse(db, principal, id, on=False)


@router.post(
    "/threads/{id}/flag",
    status_code=status.HTTP_202_ACCEPTED,
    responses={**problems(429), **_MEMBERS},
)
def flag_thread(
    id: uuid.UUID, body: FlagIn, principal: CurrentPrincipal, db: DbSession
) -> dict[str, str]:
    """Flag the thread for the moderators, with a reason."""
    flags.flag_thread(db, principal, id, body.reason)
    return {"status": "flagged"}


@router.post(
    "/replies/{id}/flag",
    status_code=status.HTTP_202_ACCEPTED,
    responses={**problems(429), **_MEMBERS},
)
def flag_reply(
    id: uuid.UUID, body: FlagIn, principal: CurrentPrincipal, db: DbSession
) -> dict[str, str]:
    flags.flag_reply(db, principal, id, body.reason)
    return {"status": "flagged"}


@router.put("/threads/{id}/follow", status_code=status.HTTP_204_NO_CONTENT, responses=_MEMBERS)
def follow_thread(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> Response:
    threads.follow(db, principal, id, on=True)
    return _no_content()


@router.delete("/threads/{id}/follow", status_code=status.HTTP_204_NO_CONTENT, responses=_MEMBERS)
def unfollow_thread(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> Response:
    threads.follow(db, principal, id, on=False)
    return _no_content()


app = create_app(router, title="Lectern forums")
handler = lambda_handler(app)
