"""Function `courses`: the catalog — courses, their modules and lessons."""

from __future__ import annotations

# First: on Lambda, the collector pauses while the function loads (see lectern.startup).
import lectern.startup  # noqa: F401

# isort: split

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from lectern.api.app import create_app, lambda_handler
from lectern.api.deps import (
    OPTIONAL_AUTH,
    AuthorPrincipal,
    CurrentPrincipal,
    DbSession,
    OptionalPrincipal,
)
from lectern.api.params import CursorParam, LimitParam
from lectern.api.responses import problems
from lectern.catalog import service
from lectern.catalog.schemas import (
    MAX_CATEGORY,
    MAX_TAGS,
    CourseDetailOut,
    CourseIn,
    CourseOut,
    CourseUpdateIn,
    LessonIn,
    LessonOut,
    LessonUpdateIn,
    ModuleIn,
    ModuleOut,
    ModuleUpdateIn,
)
from lectern.core.pagination import DEFAULT_PAGE_SIZE, Page

router = APIRouter(prefix="/v1", tags=["courses"], responses=problems(401, 422, 503))
NO_CONTENT = status.HTTP_204_NO_CONTENT


@router.post("/courses", status_code=status.HTTP_201_CREATED, responses=problems(403))
def create_course(body: CourseIn, principal: AuthorPrincipal, db: DbSession) -> CourseOut:
    return service.create_course(db, principal, body)


@router.get("/courses", openapi_extra=OPTIONAL_AUTH)
def list_courses(
    principal: OptionalPrincipal,
    db: DbSession,
    *,
    category: Annotated[str | None, Query(max_length=MAX_CATEGORY)] = None,
    tag: Annotated[
        list[str] | None,
        Query(max_length=MAX_TAGS, description="Repeat to require several tags"),
    ] = None,
    limit: LimitParam = DEFAULT_PAGE_SIZE,
    cursor: CursorParam = None,
) -> Page[CourseOut]:
    return service.list_courses(
        db, principal, category=category, tags=tag, limit=limit, cursor=cursor
    )


@router.get("/courses/{id}", openapi_extra=OPTIONAL_AUTH, responses=problems(404))
def get_course(id: uuid.UUID, principal: OptionalPrincipal, db: DbSession) -> CourseDetailOut:
    return service.get_course(db, principal, id)


@router.patch("/courses/{id}", responses=problems(403, 404))
def update_course(
    id: uuid.UUID, body: CourseUpdateIn, principal: CurrentPrincipal, db: DbSession
) -> CourseOut:
    return service.update_course(db, principal, id, body)


@router.delete("/courses/{id}", status_code=NO_CONTENT, responses=problems(403, 404))
def delete_course(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> Response:
    service.delete_course(db, principal, id)
    return Response(status_code=NO_CONTENT)


@router.post("/courses/{id}/publish", responses=problems(403, 404))
def publish_course(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> CourseOut:
    return service.publish_course(db, principal, id)


@router.post("/courses/{id}/unpublish", responses=problems(403, 404))
def unpublish_course(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> CourseOut:
    return service.unpublish_course(db, principal, id)


@router.post(
    "/courses/{id}/modules", status_code=status.HTTP_201_CREATED, responses=problems(403, 404)
)
def create_module(
    id: uuid.UUID, body: ModuleIn, principal: CurrentPrincipal, db: DbSession
) -> ModuleOut:
    return service.create_module(db, principal, id, body)


@router.patch("/modules/{id}", responses=problems(403, 404))
def update_module(
    id: uuid.UUID, body: ModuleUpdateIn, principal: CurrentPrincipal, db: DbSession
) -> ModuleOut:
    return service.update_module(db, principal, id, body)


@router.delete("/modules/{id}", status_code=NO_CONTENT, responses=problems(403, 404))
def delete_module(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> Response:
    service.delete_module(db, principal, id)
    return Response(status_code=NO_CONTENT)


@router.post(
    "/modules/{id}/lessons", status_code=status.HTTP_201_CREATED, responses=problems(403, 404)
)
def create_lesson(
    id: uuid.UUID, body: LessonIn, principal: CurrentPrincipal, db: DbSession
) -> LessonOut:
    return service.create_lesson(db, principal, id, body)


@router.get("/lessons/{id}", responses=problems(403, 404))
def get_lesson(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> LessonOut:
    return service.get_lesson(db, principal, id)


@router.patch("/lessons/{id}", responses=problems(403, 404))
def update_lesson(
    id: uuid.UUID, body: LessonUpdateIn, principal: CurrentPrincipal, db: DbSession
) -> LessonOut:
    return service.update_lesson(db, principal, id, body)


@router.delete("/lessons/{id}", status_code=NO_CONTENT, responses=problems(403, 404))
def delete_lesson(id: uuid.UUID, principal: CurrentPrincipal, db: DbSession) -> Response:
    service.delete_lesson(db, principal, id)
    return Response(status_code=NO_CONTENT)


app = create_app(router, title="Lectern courses")
handler = lambda_handler(app)
