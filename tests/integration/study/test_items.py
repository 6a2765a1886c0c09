"""Flashcards and notes: the fields each needs, ties to a course or lesson the learner can
see, edits that keep the schedule, owner-only reads, and the list's filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from lectern.errors import Forbidden, InvalidField, NotFound
from lectern.study import items, reviews
from lectern.study.schemas import ItemIn, ItemUpdateIn, ReviewIn
from tests.factories import make_account, make_course


@pytest.fixture
def db(rolled_back_db: Session) -> Session:
    """Nothing here needs another connection to see its writes."""
    return rolled_back_db


def _in(**fields: Any) -> ItemIn:
    return ItemIn(**fields)


def test_a_new_flashcard_is_due_at_once_and_a_note_has_no_schedule(db: Session):
    learner = make_account(db)
    card = items.create_item(
        db,
        learner.principal,
        _in(type="flashcard", front="Mitosis?", back="Division", tags=["Bio"]),
    )
    assert card.state is not None and card.state.value == "new"
    assert card.due is not None and card.due <= datetime.now(UTC)
    assert (card.reps, card.lapses, card.retrievability, card.tags) == (0, 0, None, ["bio"])
    note = items.create_item(db, learner.principal, _in(type="note", content="Cells divide."))
    assert (note.state, note.due, note.front) == (None, None, None)


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"type": "flashcard", "front": "Q"}, "back"),
        ({"type": "flashcard", "back": "A"}, "front"),
        ({"type": "flashcard", "front": "Q", "back": "A", "content": "x"}, "content"),
        ({"type": "note"}, "content"),
        ({"type": "note", "content": "x", "front": "Q"}, "front"),
    ],
)
def test_each_type_needs_its_own_fields(db: Session, fields: dict[str, Any], named: str):
    learner = make_account(db)
    with pytest.raises(InvalidField) as caught:
        items.create_item(db, learner.principal, _in(**fields))
    assert caught.value.field == named


def test_ties_to_lessons_and_courses_the_learner_can_see(db: Session):
    from lectern.progress.models import Enrollment

    author = make_account(db, "instructor")
    learner = make_account(db)
    course, lessons = make_course(db, author)
    draft, _ = make_course(db, author, published=False)
    other, _ = make_course(db, author)
    card = {"type": "flashcard", "front": "Q", "back": "A"}
    with pytest.raises(Forbidden):  # not enrolled: the lesson is not theirs to read
        items.create_item(db, learner.principal, _in(**card, lesson_id=lessons[0].id))
    with pytest.raises(NotFound):
        items.create_item(db, learner.principal, _in(**card, course_id=draft.id))
    db.add(Enrollment(user_id=learner.id, course_id=course.id))
    db.flush()
    tied = items.create_item(db, learner.principal, _in(**card, lesson_id=lessons[0].id))
    assert (tied.course_id, tied.lesson_id) == (course.id, lessons[0].id)
    with pytest.raises(InvalidField) as caught:
        items.create_item(
            db, learner.principal, _in(**card, lesson_id=lessons[0].id, course_id=other.id)
        )
    assert caught.value.field == "lesson_id"
    # Moving to another course unties the lesson; null unties the course.
    moved = items.update_item(db, learner.principal, tied.id, ItemUpdateIn(course_id=other.id))
    assert (moved.course_id, moved.lesson_id) == (other.id, None)
    loose = items.update_item(db, learner.principal, tied.id, ItemUpdateIn(course_id=None))
    assert (loose.course_id, loose.lesson_id) == (None, None)


def test_an_edit_keeps_the_schedule_and_refuses_nulls(db: Session):
    learner = make_account(db)
    card = items.create_item(db, learner.principal, _in(type="flashcard", front="Q", back="A"))
    now = datetime.now(UTC)
    reviewed = reviews.review(db, learner.principal, card.id, ReviewIn(rating="easy"), now=now)  # type: ignore[arg-type]
    edited = items.update_item(
        db, learner.principal, card.id, ItemUpdateIn(front="Q, better", tags=["x"])
    )
    assert (edited.front, edited.back, edited.tags) == ("Q, better", "A", ["x"])
    assert (edited.due, edited.state) == (reviewed.due, reviewed.state)
    assert edited.retrievability is not None and 0.9 < edited.retrievability <= 1
    for name in ("front", "back", "tags"):
        with pytest.raises(InvalidField) as caught:
            items.update_item(db, learner.principal, card.id, ItemUpdateIn(**{name: None}))
        assert caught.value.field == name
    with pytest.raises(InvalidField) as caught:
        items.update_item(db, learner.principal, card.id, ItemUpdateIn(content="no"))
    assert caught.value.field == "content"


def test_only_the_owner_reads_changes_or_deletes_an_item(db: Session):
    learner, other, admin = make_account(db), make_account(db), make_account(db, "admin")
    card = items.create_item(db, learner.principal, _in(type="flashcard", front="Q", back="A"))
    for outsider in (other, admin):
        with pytest.raises(NotFound):
            items.get_item(db, outsider.principal, card.id)
        with pytest.raises(NotFound):
            items.update_item(db, outsider.principal, card.id, ItemUpdateIn(front="mine"))
        with pytest.raises(NotFound):
            items.delete_item(db, outsider.principal, card.id)
        assert (
            items.list_items(
                db,
                outsider.principal,
                item_type=None,
                due_before=None,
                tag=None,
                course_id=None,
                limit=10,
                cursor=None,
            ).items
            == []
        )
    assert items.get_item(db, learner.principal, card.id).front == "Q"
    items.delete_item(db, learner.principal, card.id)
    with pytest.raises(NotFound):
        items.get_item(db, learner.principal, card.id)


def test_the_list_filters_and_pages_newest_first(db: Session):
    learner = make_account(db)
    made = [
        items.create_item(
            db,
            learner.principal,
            _in(type="flashcard", front=f"Q{n}", back="A", tags=["even" if n % 2 else "odd"]),
        )
        for n in range(5)
    ]
    items.create_item(db, learner.principal, _in(type="note", content="n", tags=["odd"]))

    def page(limit: int = 20, cursor: str | None = None, **filters: Any):  # type: ignore[no-untyped-def]
        args = {"item_type": None, "due_before": None, "tag": None, "course_id": None} | filters
        return items.list_items(db, learner.principal, limit=limit, cursor=cursor, **args)

    assert [i.front for i in page(item_type="flashcard").items] == ["Q4", "Q3", "Q2", "Q1", "Q0"]
    assert len(page(tag="odd").items) == 4  # three cards and the note
    assert page(due_before=datetime.now(UTC) - timedelta(days=1)).items == []
    everything = [i.id for i in page().items]
    first = page(limit=4)
    assert len(first.items) == 4 and first.next_cursor
    rest = page(limit=4, cursor=first.next_cursor)
    assert rest.next_cursor is None
    assert [i.id for i in first.items + rest.items] == everything
    assert set(everything) >= {m.id for m in made} and len(everything) == 6
