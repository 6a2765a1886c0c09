"""Leaving a course: the enrollment goes, its grants with it; progress and certificates
stay for a return."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from tests.factories import make_account, make_course


@pytest.fixture
def db(rolled_back_db):
    return rolled_back_db


def test_leaving_ends_lesson_access_and_a_return_restores_progress(db):
    from lectern.catalog import access
    from lectern.errors import Forbidden
    from lectern.progress import service
    from lectern.progress.models import Certificate, Enrollment

    owner, learner = make_account(db, "instructor"), make_account(db)
    course, lessons = make_course(db, owner, lessons=2)
    service.enroll(db, learner.principal, course.id)
    service.complete_lesson(db, learner.principal, lessons[0].id)
    done = service.complete_lesson(db, learner.principal, lessons[1].id)
    assert done.progress == 1 and done.certificate is not None

    service.unenroll(db, learner.principal, course.id)
    assert db.scalar(select(func.count()).where(Enrollment.user_id == learner.id)) == 0
    with pytest.raises(Forbidden):
        access.lesson_for_view(db, learner.principal, lessons[0].id)  # type: ignore[arg-type]
    assert db.scalar(select(func.count()).where(Certificate.user_id == learner.id)) == 1

    back = service.enroll(db, learner.principal, course.id)
    assert (back.progress, back.completed_lessons) == (1, 2)
    assert back.completed_at is not None
    again = service.complete_lesson(db, learner.principal, lessons[0].id)
    assert again.xp_awarded == 0  # nothing is paid twice for a return


def test_partial_progress_comes_back_and_new_lessons_count(db):
    from lectern.progress import service

    owner, learner = make_account(db, "instructor"), make_account(db)
    course, lessons = make_course(db, owner, lessons=4)
    service.enroll(db, learner.principal, course.id)
    service.complete_lesson(db, learner.principal, lessons[0].id)
    service.unenroll(db, learner.principal, course.id)
    back = service.enroll(db, learner.principal, course.id)
    assert (back.progress, back.completed_lessons, back.completed_at) == (0.25, 1, None)


def test_leaving_a_course_one_is_not_in_is_404_and_changes_nothing(db):
    from lectern.errors import NotFound
    from lectern.progress import service
    from lectern.progress.models import Enrollment

    owner, learner, other = make_account(db, "instructor"), make_account(db), make_account(db)
    course, _ = make_course(db, owner)
    draft, _ = make_course(db, owner, published=False)
    service.enroll(db, other.principal, course.id)
    for course_id in (course.id, draft.id, uuid.uuid4()):
        with pytest.raises(NotFound):
            service.unenroll(db, learner.principal, course_id)
    assert db.scalar(select(func.count()).where(Enrollment.course_id == course.id)) == 1
