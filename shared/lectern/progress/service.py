"""Progress use cases: enrolling, completing lessons, certificates, stats and leaderboards.

Plain arguments, a database session and the caller in; schemas out; no HTTP here.
Completing a lesson is one transaction that locks the learner's enrollment row, so
concurrent completions in one course take turns and each recount sees the previous one:
counts stay exact and the certificate is issued by exactly one of them.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from lectern.analytics.events import NewEvent
from lectern.analytics.models import EventType
from lectern.analytics.store.factory import get_store
from lectern.assessment.models import LearnerStats
from lectern.catalog import access
from lectern.catalog.models import Course, Lesson
from lectern.core import activity
from lectern.core.activity import Activity
from lectern.core.ids import uuid7
from lectern.core.pagination import Page, keyset_page
from lectern.core.principal import Principal
from lectern.errors import Conflict, Forbidden, NotFound, Unauthorized
from lectern.identity.models import DELETED_USER_NAME, Profile
from lectern.notifications.service import notify
from lectern.observability import count
from lectern.progress import leaderboards, xp
from lectern.progress.leaderboards import Period
from lectern.progress.models import Certificate, Enrollment, LessonCompletion
from lectern.progress.schemas import (
    CertificateOut,
    CertificateRefOut,
    CertificateVerificationOut,
    CompletionOut,
    EnrollmentItemOut,
    EnrollmentOut,
    LeaderboardEntryOut,
    LeaderboardOut,
    ProgressStatsOut,
    StandingOut,
)
from lectern.progress.xp import xp_activity

ALREADY_ENROLLED = "You are already enrolled in this course."
ENROLL_FIRST = "Enroll in the course first."
NOT_ENROLLED = "You are not enrolled in this course."
CERTIFICATE_NOT_FOUND = "No such certificate."

# Crockford base32: no I, L, O or U, so a code read aloud or retyped survives.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_PREFIX = "LECT"
CODE_RANDOM_CHARS = 16  # 80 bits: unguessable, and a collision is not a practical concern
CODE_GROUP = 4
MAX_CODE_LENGTH = 64


def new_certificate_code() -> str:
    """``LECT-XXXX-XXXX-XXXX-XXXX`` from ``secrets``: the public proof, so unguessable."""
    chars = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_RANDOM_CHARS))
    groups = [chars[i : i + CODE_GROUP] for i in range(0, CODE_RANDOM_CHARS, CODE_GROUP)]
    return "-".join([CODE_PREFIX, *groups])


def normalize_code(code: str) -> str:
    """Accept a code as people retype it: any case, and O/I/L for 0/1/1 (Crockford)."""
    prefix, sep, rest = code.strip().upper().partition("-")
    return prefix + sep + rest.translate(str.maketrans("OIL", "011"))


def verify_url(code: str) -> str:
    # Settings hold no public frontend address yet: the API's own public route verifies.
    return f"/v1/certificates/{code}"


# --- enrollments ------------------------------------------------------------------------


def enroll(db: Session, principal: Principal, course_id: uuid.UUID) -> EnrollmentOut:
    course = access.course_for_view(db, principal, course_id)
    # The unique (user, course) decides: of two concurrent enrolls, one inserts, the
    # other waits for it and then inserts nothing.
    statement = (
        insert(Enrollment)
        .values(id=uuid7(), user_id=principal.user_id, course_id=course.id)
        .on_conflict_do_nothing(index_elements=["user_id", "course_id"])
        .returning(
            Enrollment.course_id,
            Enrollment.progress,
            Enrollment.completed_lessons,
            Enrollment.enrolled_at,
            Enrollment.completed_at,
        )
    )
    try:
        row = db.execute(statement).one_or_none()
    except IntegrityError as exc:  # the course was deleted since we read it
        db.rollback()
        raise NotFound(access.COURSE_NOT_FOUND) from exc
    if row is None:
        db.rollback()
        raise Conflict(ALREADY_ENROLLED)
    restored = _restore_progress(db, principal.user_id, course.id)
    get_store().record(
        db,
        [
            NewEvent(
                type=EventType.course_enrolled,
                occurred_at=row.enrolled_at,
                user_id=principal.user_id,
                course_id=course.id,
            )
        ],
    )
    db.commit()
    return EnrollmentOut.model_validate(restored or row._asdict())


def _restore_progress(
    db: Session, user_id: uuid.UUID, course_id: uuid.UUID
) -> dict[str, Any] | None:
    """A learner who left and came back finds their progress: lesson completions outlive
    the enrollment, and the new one is recounted from them (None when there were none)."""
    completed, total = _counts(db, user_id, course_id)
    if completed == 0:
        return None
    last = db.scalar(
        select(func.max(LessonCompletion.completed_at)).where(
            LessonCompletion.user_id == user_id, LessonCompletion.course_id == course_id
        )
    )
    progress = min(1.0, completed / total) if total else 0.0
    return (
        db.execute(
            update(Enrollment)
            .where(Enrollment.user_id == user_id, Enrollment.course_id == course_id)
            .values(
                completed_lessons=completed,
                progress=progress,
                completed_at=last if progress >= 1.0 else None,
                last_activity_at=last,
            )
            .returning(
                Enrollment.course_id,
                Enrollment.progress,
                Enrollment.completed_lessons,
                Enrollment.enrolled_at,
                Enrollment.completed_at,
            )
        )
        .one()
        ._asdict()
    )


def unenroll(db: Session, principal: Principal, course_id: uuid.UUID) -> None:
    """Leave a course. Lesson completions, quiz attempts and certificates stay, so a
    return restores the progress; what enrollment grants (lessons, resources, quizzes,
    their passages in search) ends with the row, at once."""
    access.course_for_view(db, principal, course_id)
    gone = db.execute(
        delete(Enrollment)
        .where(Enrollment.user_id == principal.user_id, Enrollment.course_id == course_id)
        .returning(Enrollment.id)
    ).scalar()
    if gone is None:
        db.rollback()
        raise NotFound(NOT_ENROLLED)
    db.commit()


def list_enrollments(
    db: Session, principal: Principal, *, limit: int, cursor: str | None
) -> Page[EnrollmentItemOut]:
    """The caller's enrollments, newest first: titles and lesson totals in the same query."""
    total_lessons = (
        select(func.count())
        .select_from(Lesson)
        .where(Lesson.course_id == Enrollment.course_id)
        .correlate(Enrollment)
        .scalar_subquery()
    )
    statement = (
        select(
            Enrollment.id,
            Enrollment.course_id,
            Course.title.label("course_title"),
            Enrollment.progress,
            Enrollment.completed_lessons,
            total_lessons.label("total_lessons"),
            Enrollment.enrolled_at,
            Enrollment.completed_at,
        )
        .join(Course, Course.id == Enrollment.course_id)
        .where(Enrollment.user_id == principal.user_id)
    )
    return keyset_page(
        db,
        statement,
        Enrollment.enrolled_at,
        Enrollment.id,
        limit=limit,
        cursor=cursor,
        out=lambda row: EnrollmentItemOut.model_validate(row._asdict()),
    )


# --- completing lessons -----------------------------------------------------------------


def _counts(db: Session, user_id: uuid.UUID, course_id: uuid.UUID) -> tuple[int, int]:
    """(lessons this learner completed in the course, lessons the course has): one query."""
    completed = (
        select(func.count())
        .select_from(LessonCompletion)
        .where(LessonCompletion.user_id == user_id, LessonCompletion.course_id == course_id)
        .scalar_subquery()
    )
    total = select(func.count()).select_from(Lesson).where(Lesson.course_id == course_id)
    row = db.execute(select(completed, total.scalar_subquery())).one()
    return int(row[0]), int(row[1])


def _locked_enrollment(db: Session, user_id: uuid.UUID, course_id: uuid.UUID) -> Enrollment:
    enrollment = db.scalar(
        select(Enrollment)
        .where(Enrollment.user_id == user_id, Enrollment.course_id == course_id)
        .with_for_update()
        # Read the row as the lock found it, not as this session may have cached it.
        .execution_options(populate_existing=True)
    )
    if enrollment is None:
        raise Forbidden(ENROLL_FIRST)
    return enrollment


def _issue_certificate(
    db: Session, user_id: uuid.UUID, course: Course, now: datetime
) -> CertificateRefOut | None:
    """Issue the course's certificate unless it exists (unique per learner and course).

    Only a published course certifies, and never its own owner: otherwise anyone could
    enrol in a draft of their own titled like a real credential and certify themselves.
    """
    if course.published_at is None or course.owner_id == user_id:
        return None
    row = db.execute(
        insert(Certificate)
        .values(
            id=uuid7(),
            user_id=user_id,
            course_id=course.id,
            course_title=course.title,
            code=new_certificate_code(),
            issued_at=now,
            issued_by=course.owner_id,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "course_id"])
        .returning(Certificate.code, Certificate.issued_at)
    ).one_or_none()
    if row is None:
        return None
    notify(
        db,
        [user_id],
        "certificate_issued",
        title=f"Your certificate for {course.title}",
        body="Congratulations: you completed every lesson of the course.",
        link=f"/certificates/{row.code}",
    )
    return CertificateRefOut(code=row.code, issued_at=row.issued_at)


def _existing_certificate(
    db: Session, user_id: uuid.UUID, course_id: uuid.UUID
) -> CertificateRefOut | None:
    row = db.execute(
        select(Certificate.code, Certificate.issued_at).where(
            Certificate.user_id == user_id, Certificate.course_id == course_id
        )
    ).one_or_none()
    return None if row is None else CertificateRefOut(code=row.code, issued_at=row.issued_at)


def _record_completion(
    db: Session,
    enrollment: Enrollment,
    course: Course,
    lesson_id: uuid.UUID,
    counts: tuple[int, int],
) -> tuple[xp.Award | None, CertificateRefOut | None]:
    """A new completion: store the recount, pay the XP, record the event, and at 100 %
    issue the certificate.

    The certificate is returned only when this call issued it.
    """
    completed, total = counts
    now = datetime.now(UTC)
    enrollment.last_activity_at = now
    enrollment.completed_lessons = completed
    enrollment.progress = min(1.0, completed / total) if total else 0.0
    award = xp.award_xp(
        db,
        enrollment.user_id,
        reason=xp.Reason.lesson_completed,
        source_id=lesson_id,
        amount=xp.LESSON_COMPLETED_XP,
        now=now,
    )
    get_store().record(
        db,
        [
            NewEvent(
                type=EventType.lesson_completed,
                occurred_at=now,
                user_id=enrollment.user_id,
                course_id=course.id,
                context={"lesson_id": str(lesson_id)},
            )
        ],
    )
    user_id = enrollment.user_id
    done = [
        Activity(
            activity.LESSON_COMPLETED,
            user_id,
            lesson_id,
            at=now,
            course_id=course.id,
            subject_id=lesson_id,
        )
    ]
    if award is not None:
        done.append(xp_activity(award, lesson_id, at=now, course_id=course.id))
    certificate = None
    if enrollment.progress >= 1.0:
        if enrollment.completed_at is None:
            done.append(
                Activity(activity.COURSE_COMPLETED, user_id, course.id, at=now, course_id=course.id)
            )
        # Once completed, a course stays completed even if lessons are added later.
        enrollment.completed_at = enrollment.completed_at or now
        certificate = _issue_certificate(db, user_id, course, now)
    activity.record(db, done)
    return award, certificate


def complete_lesson(db: Session, principal: Principal, lesson_id: uuid.UUID) -> CompletionOut:
    """Mark a lesson done for an enrolled learner; idempotent (a repeat awards nothing)."""
    user_id = principal.user_id
    course = db.scalar(
        select(Course).join(Lesson, Lesson.course_id == Course.id).where(Lesson.id == lesson_id)
    )
    if course is None or not access.can_view(course, principal):
        raise NotFound(access.LESSON_NOT_FOUND)
    enrollment = _locked_enrollment(db, user_id, course.id)
    try:
        new = db.execute(
            insert(LessonCompletion)
            .values(user_id=user_id, lesson_id=lesson_id, course_id=course.id)
            .on_conflict_do_nothing(index_elements=["user_id", "lesson_id"])
            .returning(LessonCompletion.lesson_id)
        ).scalar()
    except IntegrityError as exc:  # the lesson was deleted since we read it
        db.rollback()
        raise NotFound(access.LESSON_NOT_FOUND) from exc
    counts = _counts(db, user_id, course.id)
    award, certificate = (
        _record_completion(db, enrollment, course, lesson_id, counts)
        if new is not None
        else (None, None)
    )
    issued = certificate is not None
    if certificate is None and enrollment.completed_at is not None:
        certificate = _existing_certificate(db, user_id, course.id)
    result = CompletionOut(
        progress=enrollment.progress,
        completed_lessons=enrollment.completed_lessons,
        total_lessons=counts[1],
        xp_awarded=award.amount if award else 0,
        certificate=certificate,
    )
    db.commit()
    if issued:
        count("CertificateIssued")
    if award is not None:
        count("LessonCompleted")
        leaderboards.publish([award])
    return result


# --- certificates -----------------------------------------------------------------------


def list_certificates(
    db: Session, principal: Principal, *, limit: int, cursor: str | None
) -> Page[CertificateOut]:
    statement = select(
        Certificate.id,
        Certificate.code,
        Certificate.course_id,
        Certificate.course_title,
        Certificate.issued_at,
    ).where(Certificate.user_id == principal.user_id)
    return keyset_page(
        db,
        statement,
        Certificate.issued_at,
        Certificate.id,
        limit=limit,
        cursor=cursor,
        out=lambda r: CertificateOut(
            code=r.code,
            course_id=r.course_id,
            course_title=r.course_title,
            issued_at=r.issued_at,
            verify_url=verify_url(r.code),
        ),
    )


def verify_certificate(db: Session, code: str) -> CertificateVerificationOut:
    """Public: anyone holding the code may check it. Shows the display name, not the email."""
    issuer = aliased(Profile)
    row = db.execute(
        select(
            Certificate.code,
            Certificate.course_title,
            Profile.display_name,
            Certificate.issued_at,
            issuer.display_name.label("issuer_name"),
        )
        .join(Profile, Profile.user_id == Certificate.user_id)
        .outerjoin(issuer, issuer.user_id == Certificate.issued_by)
        .where(Certificate.code == normalize_code(code))
    ).one_or_none()
    if row is None:
        raise NotFound(CERTIFICATE_NOT_FOUND)
    return CertificateVerificationOut(
        code=row.code,
        course_title=row.course_title,
        learner_name=row.display_name,
        issued_at=row.issued_at,
        issuer_name=row.issuer_name,
    )


# --- stats and leaderboards -------------------------------------------------------------


def _stats_row(db: Session, user_id: uuid.UUID) -> Row[Any] | None:
    lessons_completed = (
        select(func.count())
        .select_from(LessonCompletion)
        .where(LessonCompletion.user_id == user_id)
        .scalar_subquery()
    )
    courses_completed = (
        select(func.count())
        .select_from(Enrollment)
        .where(Enrollment.user_id == user_id, Enrollment.completed_at.is_not(None))
        .scalar_subquery()
    )
    return db.execute(
        select(
            Profile.xp,
            Profile.level,
            Profile.streak_days,
            Profile.last_active_on,
            Profile.weekly_xp,
            Profile.xp_week,
            func.coalesce(LearnerStats.answered, 0).label("answered"),
            func.coalesce(LearnerStats.correct, 0).label("correct"),
            lessons_completed.label("lessons_completed"),
            courses_completed.label("courses_completed"),
        )
        .outerjoin(LearnerStats, LearnerStats.user_id == Profile.user_id)
        .where(Profile.user_id == user_id)
    ).one_or_none()


def stats(db: Session, principal: Principal) -> ProgressStatsOut:
    """The caller's dashboard numbers, from one query over maintained counters."""
    row = _stats_row(db, principal.user_id)
    if row is None:
        raise Unauthorized("The session's account no longer exists.")
    day = datetime.now(UTC).date()
    return ProgressStatsOut(
        xp=row.xp,
        level=row.level,
        streak_days=xp.current_streak(row.streak_days, row.last_active_on, day),
        lessons_completed=row.lessons_completed,
        courses_completed=row.courses_completed,
        answered=row.answered,
        accuracy=row.correct / row.answered if row.answered else 0.0,
        # The weekly counter is rolled by the next award: a stale week means none yet.
        weekly_xp=row.weekly_xp if row.xp_week == xp.week_start(day) else 0,
    )


def leaderboard(db: Session, principal: Principal, period: Period, *, limit: int) -> LeaderboardOut:
    """Top ``limit`` and the caller's standing (one KV call), names from one query."""
    standing = leaderboards.standing(period, principal.user_id, limit)
    user_ids = [user_id for user_id, _ in standing.top]
    names: dict[uuid.UUID, str] = {}
    if user_ids:
        names = {
            row.user_id: row.display_name
            for row in db.execute(
                select(Profile.user_id, Profile.display_name).where(Profile.user_id.in_(user_ids))
            )
        }
    return LeaderboardOut(
        period=period,
        entries=[
            LeaderboardEntryOut(
                rank=rank,
                user_id=user_id,
                # A learner erased since the board was written keeps their rank, not a name.
                name=names.get(user_id, DELETED_USER_NAME),
                xp=points,
            )
            for rank, (user_id, points) in enumerate(standing.top, start=1)
        ],
        me=StandingOut(rank=standing.rank, xp=standing.xp),
    )
