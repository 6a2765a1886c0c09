"""What a course's owner (or an admin) sees of its learners: the roster, keyset-paginated
by (enrolled_at, id) over the ``(course_id, enrolled_at, id)`` index, and one learner's
detail. Learners are shown by name; their email only to an admin."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, func, literal, select
from sqlalchemy.orm import Session

from lectern.assessment.models import Exam, ExamStatus, Quiz
from lectern.audit.service import record as audit
from lectern.catalog import access
from lectern.catalog.models import Course
from lectern.core.pagination import Page, keyset_rows
from lectern.core.principal import Principal, UserRole
from lectern.errors import Forbidden, NotFound
from lectern.identity.models import Profile, User
from lectern.progress.models import Enrollment, LessonCompletion
from lectern.progress.schemas import (
    LearnerDetailOut,
    LearnerRefOut,
    QuizAttemptOut,
    RosterItemOut,
)

ROSTER_FORBIDDEN = "Only the course's owner or an admin may see its learners."
LEARNER_NOT_FOUND = "No such learner in this course."


def _course_for_roster(db: Session, principal: Principal, course_id: uuid.UUID) -> Course:
    course = access.course_for_view(db, principal, course_id)
    if not access.is_owner_or_admin(course, principal):
        raise Forbidden(ROSTER_FORBIDDEN)
    return course


def _email_column(principal: Principal) -> ColumnElement[Any]:
    # Emails are for admins only; everyone else gets the display name alone.
    if principal.role == UserRole.admin:
        return User.email.label("email")
    return literal(None).label("email")


def _learner(row: Any) -> LearnerRefOut:
    return LearnerRefOut(id=row.user_id, name=row.display_name, email=row.email)


def _quiz_totals(
    db: Session, course_id: uuid.UUID, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, float | None]]:
    """(completed attempts, mean score) at the course's quizzes, for these learners only."""
    if not user_ids:
        return {}
    rows = db.execute(
        select(Exam.user_id, func.count(), func.avg(Exam.score))
        .join(Quiz, Quiz.id == Exam.quiz_id)
        .where(
            Quiz.course_id == course_id,
            Exam.user_id.in_(user_ids),
            Exam.status == ExamStatus.completed,
        )
        .group_by(Exam.user_id)
    ).all()
    return {user_id: (int(n), float(avg) if avg is not None else None) for user_id, n, avg in rows}


def roster(
    db: Session, principal: Principal, course_id: uuid.UUID, *, limit: int, cursor: str | None
) -> Page[RosterItemOut]:
    """The course's enrollments, newest first, with progress and quiz scores: one query
    for the page (walking the index), one grouped query for its learners' quiz attempts."""
    _course_for_roster(db, principal, course_id)
    statement = (
        select(
            Enrollment.id,
            Enrollment.user_id,
            Profile.display_name,
            _email_column(principal),
            Enrollment.progress,
            Enrollment.completed_lessons,
            Enrollment.enrolled_at,
            Enrollment.completed_at,
            Enrollment.last_activity_at,
        )
        .join(Profile, Profile.user_id == Enrollment.user_id)
        .where(Enrollment.course_id == course_id)
    )
    if principal.role == UserRole.admin:
        statement = statement.join(User, User.id == Enrollment.user_id)
    rows, next_cursor = keyset_rows(
        db, statement, Enrollment.enrolled_at, Enrollment.id, limit=limit, cursor=cursor
    )
    quizzes = _quiz_totals(db, course_id, [row.user_id for row in rows])
    if principal.role == UserRole.admin:
        # Admins see the learners' emails: each such read is on the audit trail.
        audit(
            db,
            "progress.roster_read",
            actor_id=principal.user_id,
            target_type="course",
            target_id=course_id,
            details={"learners": [str(row.user_id) for row in rows]},
        )
        db.commit()
    items = [
        RosterItemOut(
            user=_learner(row),
            progress=row.progress,
            completed_lessons=row.completed_lessons,
            enrolled_at=row.enrolled_at,
            completed_at=row.completed_at,
            last_activity_at=row.last_activity_at,
            quiz_attempts=quizzes.get(row.user_id, (0, None))[0],
            quiz_average=quizzes.get(row.user_id, (0, None))[1],
        )
        for row in rows
    ]
    return Page[RosterItemOut](items=items, next_cursor=next_cursor)


def learner_detail(
    db: Session, principal: Principal, course_id: uuid.UUID, user_id: uuid.UUID
) -> LearnerDetailOut:
    """One enrolled learner: progress, the lessons they completed, their quiz attempts."""
    _course_for_roster(db, principal, course_id)
    statement = (
        select(
            Enrollment.user_id,
            Profile.display_name,
            _email_column(principal),
            Enrollment.progress,
            Enrollment.completed_lessons,
            Enrollment.enrolled_at,
            Enrollment.completed_at,
            Enrollment.last_activity_at,
        )
        .join(Profile, Profile.user_id == Enrollment.user_id)
        .where(Enrollment.course_id == course_id, Enrollment.user_id == user_id)
    )
    if principal.role == UserRole.admin:
        statement = statement.join(User, User.id == Enrollment.user_id)
    row = db.execute(statement).one_or_none()
    if row is None:
        raise NotFound(LEARNER_NOT_FOUND)
    lessons = db.scalars(
        select(LessonCompletion.lesson_id)
        .where(LessonCompletion.user_id == user_id, LessonCompletion.course_id == course_id)
        .order_by(LessonCompletion.completed_at, LessonCompletion.lesson_id)
    ).all()
    attempts = db.execute(
        select(
            Exam.quiz_id,
            Quiz.title,
            Exam.status,
            Exam.score,
            Exam.created_at,
            Exam.submitted_at,
        )
        .join(Quiz, Quiz.id == Exam.quiz_id)
        .where(Quiz.course_id == course_id, Exam.user_id == user_id)
        .order_by(Exam.created_at, Exam.id)
    ).all()
    if principal.role == UserRole.admin:
        audit(
            db,
            "progress.learner_read",
            actor_id=principal.user_id,
            target_type="user",
            target_id=user_id,
            details={"course_id": str(course_id)},
        )
        db.commit()
    return LearnerDetailOut(
        user=_learner(row),
        progress=row.progress,
        completed_lessons=row.completed_lessons,
        enrolled_at=row.enrolled_at,
        completed_at=row.completed_at,
        last_activity_at=row.last_activity_at,
        lessons_completed=list(lessons),
        quiz_attempts=[
            QuizAttemptOut(
                quiz_id=a.quiz_id,
                quiz_title=a.title,
                status=a.status,
                score=a.score,
                started_at=a.created_at,
                completed_at=a.submitted_at,
            )
            for a in attempts
        ],
    )
