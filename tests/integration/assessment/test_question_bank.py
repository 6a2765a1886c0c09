"""The question bank's rules, against the real Postgres."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select

from tests.factories import make_account, sql_statements
from tests.integration.assessment.helpers import (
    OPTIONS,
    make_bank,
    question_data,
    question_in,
    unique,
)


def _fields(exc: ValidationError) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in exc.errors()}


def _counts(db) -> tuple[int, int, int]:
    from lectern.assessment.models import Question, QuestionOption, QuestionStats

    return (
        db.scalar(select(func.count()).select_from(Question)),
        db.scalar(select(func.count()).select_from(QuestionOption)),
        db.scalar(select(func.count()).select_from(QuestionStats)),
    )


def _course(db, owner, *, published: bool):
    from datetime import UTC, datetime

    from lectern.catalog.models import Course

    course = Course(
        owner_id=owner.id, title="Cardiology", published_at=datetime.now(UTC) if published else None
    )
    db.add(course)
    db.commit()
    return course


@pytest.mark.parametrize("qtype", list(OPTIONS))
def test_each_type_is_created_with_its_options_and_zeroed_counters(db, qtype):
    from lectern.assessment.models import QuestionStats
    from lectern.assessment.questions import create_question

    author = make_account(db, "instructor")
    out = create_question(
        db, author.principal, question_in("cardiology", qtype, "hard", tags=["a", "b", "a"])
    )
    assert out.owner_id == author.id and out.type == qtype and out.difficulty == "hard"
    assert [(o.text, o.is_correct) for o in out.options] == OPTIONS[qtype]
    assert out.tags == ["a", "b"]
    assert out.stats.answered == out.stats.correct == 0
    stats = db.get(QuestionStats, out.id)
    assert stats is not None and (stats.answered, stats.correct) == (0, 0)


@pytest.mark.parametrize(
    ("qtype", "options"),
    [
        ("single_choice", [("A", True)]),
        ("single_choice", [("A", True), ("B", True)]),
        ("single_choice", [("A", False), ("B", False)]),
        ("multiple_choice", [("A", False), ("B", False)]),
        ("multiple_choice", [("A", True)]),
        ("true_false", [("True", True), ("False", False), ("Maybe", False)]),
        ("true_false", [("True", True), ("False", True)]),
        ("short_answer", []),
        ("short_answer", [("mitral", True), ("aortic", False)]),
        ("single_choice", [("Same", True), (" same ", False)]),
        ("multiple_choice", [(f"o{i}", True) for i in range(11)]),
    ],
)
def test_options_that_do_not_fit_the_type_name_options(qtype, options):
    from lectern.assessment.schemas import QuestionIn

    data = question_data("t", qtype)
    data["options"] = [{"text": t, "is_correct": c} for t, c in options]
    with pytest.raises(ValidationError) as exc:
        QuestionIn.model_validate(data)
    assert _fields(exc.value) == {"options"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": "essay"}, "type"),
        ({"difficulty": "brutal"}, "difficulty"),
        ({"topic": ""}, "topic"),
        ({"topic": "x" * 101}, "topic"),
        ({"prompt": "x" * 5001}, "prompt"),
        ({"tags": [f"t{i}" for i in range(21)]}, "tags"),
        ({"owner_id": str(uuid.uuid4())}, "owner_id"),
        ({"id": str(uuid.uuid4())}, "id"),
        ({"stats": {"answered": 9}}, "stats"),
        ({"random_key": 0.5}, "random_key"),
    ],
)
def test_bad_fields_and_fields_a_client_does_not_own_are_named(change, field):
    from lectern.assessment.schemas import QuestionIn

    with pytest.raises(ValidationError) as exc:
        QuestionIn.model_validate({**question_data("t"), **change})
    assert _fields(exc.value) == {field}


def test_bulk_item_errors_name_the_item():
    from lectern.assessment.schemas import QuestionBulkIn

    items = [question_data("t") for _ in range(4)]
    items[2]["options"] = [{"text": "A", "is_correct": False}, {"text": "B", "is_correct": False}]
    with pytest.raises(ValidationError) as exc:
        QuestionBulkIn.model_validate({"questions": items})
    assert _fields(exc.value) == {"questions.2.options"}
    for size in (0, 501):
        with pytest.raises(ValidationError) as exc:
            QuestionBulkIn.model_validate({"questions": [question_data("t")] * size})
        assert _fields(exc.value) == {"questions"}


def test_bulk_is_a_few_multi_row_inserts(db):
    from lectern.assessment.models import Question
    from lectern.assessment.questions import create_questions

    author = make_account(db, "instructor")
    before = _counts(db)
    items = [question_in(unique("bulk"), "multiple_choice") for _ in range(200)]
    with sql_statements() as sent:
        out = create_questions(db, author.principal, items)
    assert out.created == 200 and len(set(out.ids)) == 200
    inserts = [s for s in sent if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 4, inserts  # questions, options, counters, search outbox
    after = _counts(db)
    assert after[0] - before[0] == 200
    assert after[1] - before[1] == 600
    assert after[2] - before[2] == 200
    rows = db.execute(
        select(Question.owner_id, Question.random_key).where(Question.id.in_(out.ids))
    ).all()
    assert {r.owner_id for r in rows} == {author.id}
    assert len({r.random_key for r in rows}) == 200  # each row drew its own key


def test_bulk_is_all_or_nothing(db):
    from lectern.assessment.questions import create_questions
    from lectern.errors import Forbidden

    author, other = make_account(db, "instructor"), make_account(db, "instructor")
    foreign = _course(db, other, published=True)
    items = [question_in("t") for _ in range(10)]
    items.append(question_in("t", course_id=foreign.id))
    before = _counts(db)
    with pytest.raises(Forbidden):
        create_questions(db, author.principal, items)
    db.rollback()
    assert _counts(db) == before


def test_course_questions_need_the_right_to_edit_the_course(db):
    from lectern.assessment.questions import create_question
    from lectern.errors import Forbidden, NotFound

    author, other = make_account(db, "instructor"), make_account(db, "instructor")
    admin = make_account(db, "admin")
    mine = _course(db, author, published=False)
    theirs_draft = _course(db, other, published=False)
    theirs_live = _course(db, other, published=True)
    assert create_question(db, author.principal, question_in("t", course_id=mine.id)).course_id
    with pytest.raises(NotFound):
        create_question(db, author.principal, question_in("t", course_id=theirs_draft.id))
    with pytest.raises(NotFound):
        create_question(db, author.principal, question_in("t", course_id=uuid.uuid4()))
    with pytest.raises(Forbidden):
        create_question(db, author.principal, question_in("t", course_id=theirs_live.id))
    out = create_question(db, admin.principal, question_in("t", course_id=theirs_draft.id))
    assert out.course_id == theirs_draft.id


def test_instructors_list_only_their_own_admins_all_paged_without_n_plus_one(db):
    from lectern.assessment.questions import list_questions
    from lectern.assessment.schemas import QuestionQuery

    topic = unique("listing")
    author, other = make_account(db, "instructor"), make_account(db, "instructor")
    admin = make_account(db, "admin")
    mine = make_bank(db, author, 5, topic=topic)
    theirs = make_bank(db, other, 3, topic=topic)

    seen: list[uuid.UUID] = []
    cursor = None
    while True:
        with sql_statements() as sent:
            page = list_questions(
                db, author.principal, QuestionQuery(topic=topic, limit=2, cursor=cursor)
            )
        assert len(sent) == 2  # the questions with their counters, then all their options
        assert all(len(q.options) == 3 for q in page.items)
        seen += [q.id for q in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == sorted(mine, reverse=True)  # newest first, each once

    everything = list_questions(db, admin.principal, QuestionQuery(topic=topic, limit=100))
    assert {q.id for q in everything.items} == set(mine) | set(theirs)
    hard = list_questions(db, admin.principal, QuestionQuery(topic=topic, difficulty="hard"))
    assert {q.difficulty for q in hard.items} == {"hard"} and len(hard.items) == 2


def test_a_cursor_not_issued_by_the_api_is_a_422_naming_cursor(db):
    from lectern.assessment.questions import list_questions
    from lectern.assessment.schemas import QuestionQuery
    from lectern.errors import InvalidField

    author = make_account(db, "instructor")
    for cursor in ("not-base64!", "eyJ4IjoxfQ"):  # the second is {"x":1}
        with pytest.raises(InvalidField) as exc:
            list_questions(db, author.principal, QuestionQuery(cursor=cursor))
        assert exc.value.field == "cursor"


def test_questions_are_private_to_their_author_and_admins(db):
    from lectern.assessment.questions import delete_question, get_question, update_question
    from lectern.assessment.schemas import QuestionUpdateIn
    from lectern.errors import NotFound

    author, other = make_account(db, "instructor"), make_account(db, "instructor")
    admin = make_account(db, "admin")
    [qid] = make_bank(db, author, 1, topic="private")
    for call in (
        lambda: get_question(db, other.principal, qid),
        lambda: update_question(db, other.principal, qid, QuestionUpdateIn(prompt="mine now")),
        lambda: delete_question(db, other.principal, qid),
        lambda: get_question(db, author.principal, uuid.uuid4()),
    ):
        with pytest.raises(NotFound):
            call()
        db.rollback()
    assert get_question(db, admin.principal, qid).id == qid
    assert get_question(db, author.principal, qid).prompt.startswith("A single_choice")


def test_patch_changes_what_is_sent_and_revalidates_options_against_the_type(db):
    from lectern.assessment.questions import get_question, update_question
    from lectern.assessment.schemas import QuestionUpdateIn
    from lectern.errors import InvalidField

    author = make_account(db, "instructor")
    [qid] = make_bank(db, author, 1, topic="patch", qtype="true_false", subject="anatomy")
    before = get_question(db, author.principal, qid)

    out = update_question(
        db,
        author.principal,
        qid,
        QuestionUpdateIn.model_validate(
            {
                "prompt": "The heart has four chambers.",
                "subject": None,
                "options": [
                    {"text": "True", "is_correct": False},
                    {"text": "False", "is_correct": True},
                ],
            }
        ),
    )
    assert out.prompt == "The heart has four chambers."
    assert out.subject is None and out.topic == "patch" and out.explanation == before.explanation
    assert [(o.text, o.is_correct) for o in out.options] == [("True", False), ("False", True)]
    assert {o.id for o in out.options}.isdisjoint({o.id for o in before.options})
    assert out.updated_at > before.updated_at

    three = [{"text": t, "is_correct": t == "a"} for t in "abc"]
    with pytest.raises(InvalidField) as exc:
        update_question(
            db, author.principal, qid, QuestionUpdateIn.model_validate({"options": three})
        )
    assert exc.value.field == "options"
    db.rollback()
    assert len(get_question(db, author.principal, qid).options) == 2

    for field in ("prompt", "topic", "difficulty", "tags", "options"):
        with pytest.raises(ValidationError) as bad:
            QuestionUpdateIn.model_validate({field: None})
        assert _fields(bad.value) == {field}
    for field in ("type", "owner_id", "course_id", "random_key"):
        with pytest.raises(ValidationError) as bad:
            QuestionUpdateIn.model_validate({field: "x"})
        assert _fields(bad.value) == {field}


def test_delete_takes_options_and_counters_with_it(db):
    from lectern.assessment.models import Question, QuestionOption, QuestionStats
    from lectern.assessment.questions import delete_question

    author, admin = make_account(db, "instructor"), make_account(db, "admin")
    first, second = make_bank(db, author, 2, topic="delete")
    delete_question(db, author.principal, first)
    delete_question(db, admin.principal, second)
    for qid in (first, second):
        assert db.get(Question, qid) is None
        assert db.get(QuestionStats, qid) is None
        assert not db.scalars(select(QuestionOption).where(QuestionOption.question_id == qid)).all()
