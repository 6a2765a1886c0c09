"""Share links: create (owner only), list, revoke, and open one without signing in.

A link's token is 256 random bits, shown once at creation; only its SHA-256 is stored,
so a database read (or leak) cannot open any link. Unknown, revoked and expired tokens,
and links whose object was deleted, all get the same 404.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from lectern.assessment import access as assessment_access
from lectern.assessment.models import (
    Exam,
    ExamAnswer,
    ExamQuestion,
    ExamStatus,
    Question,
    QuestionOption,
    QuestionType,
)
from lectern.catalog import access
from lectern.catalog.models import Course, Lesson, Module
from lectern.config import get_settings
from lectern.core.pagination import Page, keyset_page
from lectern.core.principal import Principal
from lectern.errors import NotFound
from lectern.identity.models import Profile
from lectern.identity.tokens import MAX_TOKEN_LENGTH, MIN_TOKEN_LENGTH, hash_token, new_token
from lectern.sharing.models import Share, ShareEntity
from lectern.sharing.schemas import (
    ShareCreatedOut,
    SharedCourse,
    SharedCourseView,
    SharedExam,
    SharedExamView,
    SharedLesson,
    SharedLessonOutline,
    SharedLessonView,
    SharedModule,
    SharedOption,
    SharedQuestion,
    SharedReviewedOption,
    SharedReviewedQuestion,
    SharedView,
    ShareIn,
    ShareOut,
)

SHARE_NOT_FOUND = "No such share."
# One message for every dead link, so the answer does not tell which kind it is.
LINK_NOT_FOUND = "This share link is invalid, expired or revoked."
# The frontend page that opens a link; its origin is the one magic links go to.
FRONTEND_SHARE_PATH = "/shared/"
API_SHARE_PATH = "/v1/shared/"


def share_url(token: str) -> str:
    """The link to hand out: the frontend's page when its origin is known, else the API."""
    parts = urlsplit(get_settings().auth.magic_link_url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}{FRONTEND_SHARE_PATH}{token}"
    return f"{API_SHARE_PATH}{token}"


def _check_owner(
    db: Session, principal: Principal, entity: ShareEntity, entity_id: uuid.UUID
) -> None:
    """Only what the caller may change can be shared: 404 if they cannot see it, else 403."""
    if entity == ShareEntity.course:
        access.course_for_edit(db, principal, entity_id)
    elif entity == ShareEntity.lesson:
        access.lesson_for_edit(db, principal, entity_id)
    else:
        # An exam is personal: someone else's is a 404 to everyone, admins included.
        assessment_access.exam_for_taker(db, principal, entity_id)


def create_share(db: Session, principal: Principal, data: ShareIn) -> ShareCreatedOut:
    _check_owner(db, principal, data.entity_type, data.entity_id)
    token = new_token()
    expires_at = datetime.now(UTC) + timedelta(days=data.expires_in_days)
    share = Share(
        owner_id=principal.user_id,
        entity_type=data.entity_type,
        entity_id=data.entity_id,
        token_hash=hash_token(token),
        expires_at=expires_at,
    )
    db.add(share)
    db.flush()  # created_at comes back from the INSERT's RETURNING
    out = ShareCreatedOut(
        id=share.id,
        entity_type=share.entity_type,
        entity_id=share.entity_id,
        token=token,
        url=share_url(token),
        expires_at=expires_at,
        created_at=share.created_at,
    )
    db.commit()
    return out


def _share_out(share: Share) -> ShareOut:
    return ShareOut(
        id=share.id,
        entity_type=share.entity_type,
        entity_id=share.entity_id,
        expires_at=share.expires_at,
        revoked=share.revoked_at is not None,
        created_at=share.created_at,
    )


def list_shares(
    db: Session, principal: Principal, *, limit: int, cursor: str | None
) -> Page[ShareOut]:
    """The caller's shares, newest first, keyset-paginated on (created_at, id)."""
    return keyset_page(
        db,
        select(Share).where(Share.owner_id == principal.user_id),
        Share.created_at,
        Share.id,
        limit=limit,
        cursor=cursor,
        out=_share_out,
    )


def revoke_share(db: Session, principal: Principal, share_id: uuid.UUID) -> None:
    """Kill a link at once. Revoking twice is fine; someone else's share is a 404."""
    revoked = db.scalar(
        update(Share)
        .where(Share.id == share_id, Share.owner_id == principal.user_id)
        # Keep the first revocation's time when the call is repeated.
        .values(revoked_at=func.coalesce(Share.revoked_at, func.now()))
        .returning(Share.id)
    )
    if revoked is None:
        db.rollback()
        raise NotFound(SHARE_NOT_FOUND)
    db.commit()


def open_share(db: Session, token: str) -> SharedView:
    """The read-only view a live link opens, for anyone holding the token."""
    if not MIN_TOKEN_LENGTH <= len(token) <= MAX_TOKEN_LENGTH:
        raise NotFound(LINK_NOT_FOUND)
    share = db.scalar(
        select(Share).where(
            Share.token_hash == hash_token(token),
            Share.revoked_at.is_(None),
            or_(Share.expires_at.is_(None), Share.expires_at > func.now()),
        )
    )
    if share is None:
        raise NotFound(LINK_NOT_FOUND)
    view: SharedView | None
    if share.entity_type == ShareEntity.course:
        view = _course_view(db, share.entity_id)
    elif share.entity_type == ShareEntity.lesson:
        view = _lesson_view(db, share.entity_id)
    else:
        view = _exam_view(db, share.entity_id)
    if view is None:
        raise NotFound(LINK_NOT_FOUND)
    return view


# The views below ignore publication on purpose: the owner chose to share the object, so
# a course or lesson that has since been unpublished still opens until the link is
# revoked or expires. Deleting the object is what closes every link to it.


def _course_view(db: Session, course_id: uuid.UUID) -> SharedCourseView | None:
    row = db.execute(
        select(Course, Profile.display_name)
        .join(Profile, Profile.user_id == Course.owner_id)
        .where(Course.id == course_id)
    ).one_or_none()
    if row is None:
        return None
    course, owner_name = row
    modules = db.scalars(
        select(Module).where(Module.course_id == course.id).order_by(Module.position, Module.id)
    ).all()
    lessons: dict[uuid.UUID, list[SharedLessonOutline]] = defaultdict(list)
    for lesson_id, module_id, title, minutes in db.execute(
        select(Lesson.id, Lesson.module_id, Lesson.title, Lesson.duration_minutes)
        .where(Lesson.course_id == course.id)
        .order_by(Lesson.position, Lesson.id)
    ):
        lessons[module_id].append(
            SharedLessonOutline(id=lesson_id, title=title, duration_minutes=minutes)
        )
    return SharedCourseView(
        course=SharedCourse(
            id=course.id,
            title=course.title,
            description=course.description,
            category=course.category,
            tags=list(course.tags),
            owner_name=owner_name,
            modules=[
                SharedModule(title=m.title, position=m.position, lessons=lessons[m.id])
                for m in modules
            ],
        )
    )


def _lesson_view(db: Session, lesson_id: uuid.UUID) -> SharedLessonView | None:
    row = db.execute(
        select(Lesson, Course.title)
        .join(Course, Course.id == Lesson.course_id)
        .where(Lesson.id == lesson_id)
    ).one_or_none()
    if row is None:
        return None
    lesson, course_title = row
    return SharedLessonView(
        lesson=SharedLesson(
            id=lesson.id,
            title=lesson.title,
            content=lesson.content,
            duration_minutes=lesson.duration_minutes,
            course_title=course_title,
        )
    )


def _exam_view(db: Session, exam_id: uuid.UUID) -> SharedExamView | None:
    exam = db.get(Exam, exam_id)
    if exam is None:
        return None
    questions = db.scalars(
        select(Question)
        .join(ExamQuestion, ExamQuestion.question_id == Question.id)
        .where(ExamQuestion.exam_id == exam.id)
        .order_by(ExamQuestion.position)
    ).all()
    options: dict[uuid.UUID, list[QuestionOption]] = defaultdict(list)
    if questions:
        for option in db.scalars(
            select(QuestionOption)
            .where(QuestionOption.question_id.in_([q.id for q in questions]))
            .order_by(QuestionOption.question_id, QuestionOption.position)
        ):
            options[option.question_id].append(option)
    completed = exam.status == ExamStatus.completed
    shown: list[SharedQuestion] | list[SharedReviewedQuestion]
    if completed:
        # Only a finished exam shows the key: a live one shared mid-way must not help.
        right = {
            question_id: ok
            for question_id, ok in db.execute(
                select(ExamAnswer.question_id, ExamAnswer.is_correct).where(
                    ExamAnswer.exam_id == exam.id
                )
            )
        }
        shown = [
            SharedReviewedQuestion(
                prompt=q.prompt,
                type=q.type,
                options=[
                    SharedReviewedOption(text=o.text, is_correct=o.is_correct)
                    for o in options[q.id]
                ],
                explanation=q.explanation,
                answered_correctly=right.get(q.id),
            )
            for q in questions
        ]
    else:
        # As in the taker's own view: a short answer's options are its accepted
        # answers, so an unfinished exam shows none.
        shown = [
            SharedQuestion(
                prompt=q.prompt,
                type=q.type,
                options=[]
                if q.type is QuestionType.short_answer
                else [SharedOption(text=o.text) for o in options[q.id]],
            )
            for q in questions
        ]
    return SharedExamView(
        exam=SharedExam(
            mode=exam.mode,
            status=exam.status,
            size=exam.size,
            score=exam.score if completed else None,
            created_at=exam.created_at,
            submitted_at=exam.submitted_at,
            questions=shown,
        )
    )
