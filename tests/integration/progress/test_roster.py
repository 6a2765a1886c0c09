"""The roster and a learner's detail: who sees them, what they show, how they page."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from tests.factories import make_account, make_course, sql_statements


@pytest.fixture
def db(rolled_back_db):
    return rolled_back_db


def test_the_roster_pages_newest_first_by_name_and_shows_emails_to_admins_only(db):
    from lectern.progress import roster, service

    owner, admin = make_account(db, "instructor"), make_account(db, "admin")
    course, lessons = make_course(db, owner, lessons=2)
    learners = [make_account(db, name=f"Learner {n}") for n in range(5)]
    for learner in learners:
        service.enroll(db, learner.principal, course.id)
    service.complete_lesson(db, learners[0].principal, lessons[0].id)

    seen: list[uuid.UUID] = []
    cursor = None
    with sql_statements() as statements:
        first = roster.roster(db, owner.principal, course.id, limit=2, cursor=None)
    assert len(statements) <= 4  # the course, the page, its quiz totals: not one per row
    while True:
        page = roster.roster(db, owner.principal, course.id, limit=2, cursor=cursor)
        seen += [item.user.id for item in page.items]
        for item in page.items:
            assert item.user.email is None
            assert "email" not in item.model_dump(mode="json")["user"]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [a.id for a in reversed(learners)]
    assert first.items[0].user.name == "Learner 4"
    done = next(
        i
        for i in roster.roster(db, owner.principal, course.id, limit=10, cursor=None).items
        if i.user.id == learners[0].id
    )
    assert (done.progress, done.completed_lessons) == (0.5, 1)
    assert done.last_activity_at is not None

    as_admin = roster.roster(db, admin.principal, course.id, limit=10, cursor=None)
    assert {i.user.email for i in as_admin.items} == {a.user.email for a in learners}  # type: ignore[attr-defined]


def test_a_learners_detail_lists_completed_lessons(db):
    from lectern.errors import NotFound
    from lectern.progress import roster, service

    owner, learner, stranger = make_account(db, "instructor"), make_account(db), make_account(db)
    course, lessons = make_course(db, owner, lessons=3)
    service.enroll(db, learner.principal, course.id)
    service.complete_lesson(db, learner.principal, lessons[2].id)
    service.complete_lesson(db, learner.principal, lessons[0].id)
    # One transaction gives both completions the same now(); set them apart so the
    # order by completion time is what the assertion sees.
    db.execute(
        text(
            "UPDATE lesson_completions SET completed_at = completed_at - interval '1 hour'"
            " WHERE user_id = :user AND lesson_id = :lesson"
        ),
        {"user": learner.id, "lesson": lessons[2].id},
    )
    detail = roster.learner_detail(db, owner.principal, course.id, learner.id)
    assert detail.lessons_completed == [lessons[2].id, lessons[0].id]
    assert detail.user.name == learner.user.profile.display_name  # type: ignore[attr-defined]
    assert detail.quiz_attempts == []
    for user_id in (stranger.id, uuid.uuid4()):
        with pytest.raises(NotFound):
            roster.learner_detail(db, owner.principal, course.id, user_id)


def test_only_the_owner_and_admins_see_the_roster(db):
    from lectern.errors import Forbidden, NotFound
    from lectern.progress import roster, service

    owner, other, learner = (
        make_account(db, "instructor"),
        make_account(db, "instructor"),
        make_account(db),
    )
    course, _ = make_course(db, owner)
    draft, _ = make_course(db, owner, published=False)
    service.enroll(db, learner.principal, course.id)
    for caller in (other, learner):
        with pytest.raises(Forbidden):
            roster.roster(db, caller.principal, course.id, limit=10, cursor=None)
        with pytest.raises(Forbidden):
            roster.learner_detail(db, caller.principal, course.id, learner.id)
        with pytest.raises(NotFound):
            roster.roster(db, caller.principal, draft.id, limit=10, cursor=None)
    with pytest.raises(NotFound):
        roster.roster(db, owner.principal, uuid.uuid4(), limit=10, cursor=None)
