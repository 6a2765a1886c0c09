"""Catalog rules against the real Postgres: listing, outline, positions, publishing, access."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lectern.catalog import service
from lectern.catalog.models import Course, Lesson, Module
from lectern.catalog.schemas import (
    CourseIn,
    CourseUpdateIn,
    LessonIn,
    LessonUpdateIn,
    ModuleIn,
    ModuleUpdateIn,
)
from lectern.db.engine import get_sessionmaker
from lectern.errors import Forbidden, InvalidField, NotFound
from lectern.progress.models import Enrollment
from tests.factories import Account, make_account, sql_statements


def _course(db: Session, owner: Account, *, publish: bool = False, **fields):  # type: ignore[no-untyped-def]
    fields.setdefault("title", "A course")
    course = service.create_course(db, owner.principal, CourseIn(**fields))
    if publish:
        service.publish_course(db, owner.principal, course.id)
    return course


def _walk(db: Session, principal, **filters) -> list[uuid.UUID]:  # type: ignore[no-untyped-def]
    """Every id a listing yields, page after page."""
    ids: list[uuid.UUID] = []
    cursor = None
    for _ in range(50):
        page = service.list_courses(db, principal, cursor=cursor, **filters)
        ids += [c.id for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return ids
    raise AssertionError("the listing never ended")


@pytest.fixture
def author(db: Session) -> Account:
    return make_account(db, "instructor", name="Ada Author")


@pytest.fixture
def other_author(db: Session) -> Account:
    return make_account(db, "instructor", name="Other Author")


@pytest.fixture
def student(db: Session) -> Account:
    return make_account(db, "student")


@pytest.fixture
def admin(db: Session) -> Account:
    return make_account(db, "admin")


# -- creating and listing -----------------------------------------------------------------


def test_a_new_course_is_an_unpublished_draft_owned_by_its_author(db: Session, author: Account):
    course = _course(
        db, author, title="  Graphs  ", category="Maths", tags=["Graphs", "graphs", " Trees "]
    )
    assert course.owner.id == author.id and course.owner.name == "Ada Author"
    assert course.title == "Graphs" and course.category == "Maths"
    assert course.tags == ["graphs", "trees"]
    assert course.published is False and course.published_at is None
    assert "email" not in course.owner.model_dump()
    row = db.get(Course, course.id)
    assert row is not None and row.owner_id == author.id


def test_listing_pages_through_published_and_own_drafts_without_duplicates(
    db: Session, author: Account, other_author: Account, student: Account, admin: Account
):
    category = f"cat-{uuid.uuid4().hex[:8]}"
    published = [_course(db, author, category=category, publish=True).id for _ in range(4)]
    published += [_course(db, other_author, category=category, publish=True).id for _ in range(3)]
    my_drafts = [_course(db, author, category=category).id for _ in range(2)]
    their_drafts = [_course(db, other_author, category=category).id for _ in range(2)]
    _course(db, author, category="another category", publish=True)

    mine = _walk(db, author.principal, category=category, limit=3)
    assert len(mine) == len(set(mine))
    assert set(mine) == set(published) | set(my_drafts)

    rows = db.execute(select(Course.id, Course.created_at).where(Course.id.in_(mine))).all()
    newest_first = [r.id for r in sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)]
    assert mine == newest_first

    assert set(_walk(db, other_author.principal, category=category, limit=2)) == set(
        published
    ) | set(their_drafts)
    assert set(_walk(db, None, category=category, limit=4)) == set(published)
    assert set(_walk(db, student.principal, category=category, limit=100)) == set(published)
    # Admins browse like everyone: the catalog, plus their own drafts only.
    assert set(_walk(db, admin.principal, category=category)) == set(published)


def test_listing_filters_by_tags_all_required_case_insensitive(db: Session, author: Account):
    tag = f"t{uuid.uuid4().hex[:8]}"
    both = _course(db, author, tags=[tag, "python"], publish=True).id
    only_tag = _course(db, author, tags=[tag], publish=True).id
    _course(db, author, tags=["python"], publish=True)
    draft = _course(db, author, tags=[tag]).id

    assert set(_walk(db, author.principal, tags=[tag.upper()])) == {both, only_tag, draft}
    assert set(_walk(db, None, tags=[tag])) == {both, only_tag}
    assert _walk(db, None, tags=[tag, "Python"]) == [both]
    assert _walk(db, None, tags=[tag], category="nothing-here") == []


def test_listing_refuses_bad_limits_cursors_and_tags(db: Session):
    for limit in (0, 101):
        with pytest.raises(InvalidField) as caught:
            service.list_courses(db, None, limit=limit)
        assert caught.value.field == "limit"
    for cursor in ("garbage!", "e30", "eyJpZCI6IDF9"):  # not base64 JSON; {}; {"id": 1}
        with pytest.raises(InvalidField) as caught:
            service.list_courses(db, None, cursor=cursor)
        assert caught.value.field == "cursor"
    with pytest.raises(InvalidField) as caught:
        service.list_courses(db, None, tags=["x" * 41])
    assert caught.value.field == "tag"


def test_listing_runs_the_same_few_statements_whatever_the_page_size(
    db: Session, author: Account, other_author: Account
):
    category = f"cat-{uuid.uuid4().hex[:8]}"
    for owner in (author, other_author):
        for _ in range(6):
            _course(db, owner, category=category, publish=True)
    _course(db, author, category=category)

    counts = {}
    for limit in (2, 13):
        db.expire_all()
        with sql_statements() as statements:
            page = service.list_courses(db, author.principal, category=category, limit=limit)
        assert len(page.items) == limit
        assert {c.owner.name for c in page.items} <= {"Ada Author", "Other Author"}
        counts[limit] = len(statements)
    assert counts[2] == counts[13] == 1


# -- outline and positions ----------------------------------------------------------------


def test_outline_orders_modules_and_lessons_by_position_then_id(db: Session, author: Account):
    course = _course(db, author)
    p = author.principal
    later = service.create_module(db, p, course.id, ModuleIn(title="Later", position=5))
    first = service.create_module(db, p, course.id, ModuleIn(title="First", position=0))
    tie = service.create_module(db, p, course.id, ModuleIn(title="Tie", position=5))
    lessons = [
        service.create_lesson(db, p, first.id, LessonIn(title=t, content="x", position=pos))
        for t, pos in (("b", 2), ("a", 1), ("c", 2))
    ]

    detail = service.get_course(db, p, course.id)
    assert [m.id for m in detail.modules] == [first.id, later.id, tie.id]
    assert [lesson.title for lesson in detail.modules[0].lessons] == ["a", "b", "c"]
    assert detail.modules[1].lessons == []
    assert {lesson.id for lesson in detail.modules[0].lessons} == {x.id for x in lessons}


def test_outline_takes_a_fixed_number_of_queries_however_many_modules(db: Session, author: Account):
    small = _course(db, author)
    big = _course(db, author)
    p = author.principal
    for course, modules in ((small, 1), (big, 6)):
        for m in range(modules):
            module = service.create_module(db, p, course.id, ModuleIn(title=f"M{m}"))
            for n in range(2):
                service.create_lesson(db, p, module.id, LessonIn(title=f"L{n}", content="x"))

    counts = []
    for course in (small, big):
        db.expunge_all()
        with sql_statements() as statements:
            detail = service.get_course(db, p, course.id)
        counts.append(len(statements))
    assert len(detail.modules) == 6 and all(len(m.lessons) == 2 for m in detail.modules)
    assert counts[0] == counts[1] <= 4  # course, owner name, modules, lessons


def test_positions_append_after_the_last_by_default(db: Session, author: Account):
    p = author.principal
    course = _course(db, author)
    appended = [service.create_module(db, p, course.id, ModuleIn(title="m")) for _ in range(3)]
    assert [m.position for m in appended] == [0, 1, 2]
    service.create_module(db, p, course.id, ModuleIn(title="far", position=10))
    assert service.create_module(db, p, course.id, ModuleIn(title="m")).position == 11

    first, second = appended[0], appended[1]
    lessons = [
        service.create_lesson(db, p, first.id, LessonIn(title="l", content="x")) for _ in range(2)
    ]
    assert [lesson.position for lesson in lessons] == [0, 1]
    # Each module numbers its own lessons.
    other = service.create_lesson(db, p, second.id, LessonIn(title="l", content="x"))
    assert other.position == 0 and other.course_id == course.id and other.module_id == second.id


def test_concurrent_appends_never_share_a_position(db: Session, author: Account):
    course = _course(db, author)

    def append(n: int) -> int:
        with get_sessionmaker()() as session:
            module = service.create_module(
                session, author.principal, course.id, ModuleIn(title=f"m{n}")
            )
            return module.position

    with ThreadPoolExecutor(max_workers=6) as pool:
        positions = list(pool.map(append, range(6)))
    assert sorted(positions) == list(range(6))


# -- publishing, editing, deleting --------------------------------------------------------


def test_publish_is_idempotent_and_unpublish_hides_the_course(
    db: Session, author: Account, student: Account
):
    category = f"cat-{uuid.uuid4().hex[:8]}"
    course = _course(db, author, category=category)
    first = service.publish_course(db, author.principal, course.id)
    assert first.published and first.published_at is not None
    again = service.publish_course(db, author.principal, course.id)
    assert again.published_at == first.published_at
    assert service.get_course(db, student.principal, course.id).id == course.id

    hidden = service.unpublish_course(db, author.principal, course.id)
    assert hidden.published is False and hidden.published_at is None
    with pytest.raises(NotFound):
        service.get_course(db, student.principal, course.id)
    assert _walk(db, None, category=category) == []
    assert _walk(db, author.principal, category=category) == [course.id]


def test_patch_changes_only_the_fields_sent_and_null_clears_the_category(
    db: Session, author: Account
):
    course = _course(db, author, title="Old", description="Desc", category="Cat", tags=["a"])
    updated = service.update_course(
        db, author.principal, course.id, CourseUpdateIn(title=" New ", tags=["B", "b"])
    )
    assert (updated.title, updated.description, updated.category, updated.tags) == (
        "New",
        "Desc",
        "Cat",
        ["b"],
    )
    assert updated.updated_at >= course.updated_at
    cleared = service.update_course(
        db, author.principal, course.id, CourseUpdateIn.model_validate({"category": None})
    )
    assert cleared.category is None and cleared.title == "New"


def test_only_the_owner_or_an_admin_changes_a_course(
    db: Session, author: Account, other_author: Account, student: Account, admin: Account
):
    draft = _course(db, author)
    live = _course(db, author, publish=True)
    change = CourseUpdateIn(title="Hijacked")
    for stranger in (other_author, student):
        with pytest.raises(NotFound):
            service.update_course(db, stranger.principal, draft.id, change)
        with pytest.raises(Forbidden):
            service.update_course(db, stranger.principal, live.id, change)
        with pytest.raises(Forbidden):
            service.delete_course(db, stranger.principal, live.id)
        with pytest.raises(Forbidden):
            service.create_module(db, stranger.principal, live.id, ModuleIn(title="x"))
    assert service.update_course(db, admin.principal, draft.id, change).title == "Hijacked"
    assert service.publish_course(db, admin.principal, draft.id).published
    with pytest.raises(NotFound):
        service.update_course(db, admin.principal, uuid.uuid4(), change)


def test_modules_and_lessons_follow_their_course_rules(
    db: Session, author: Account, other_author: Account, admin: Account
):
    course = _course(db, author, publish=True)
    module = service.create_module(db, author.principal, course.id, ModuleIn(title="M"))
    lesson = service.create_lesson(
        db, author.principal, module.id, LessonIn(title="L", content="# Hi", duration_minutes=5)
    )
    with pytest.raises(Forbidden):
        service.update_module(db, other_author.principal, module.id, ModuleUpdateIn(title="x"))
    with pytest.raises(Forbidden):
        service.create_lesson(
            db, other_author.principal, module.id, LessonIn(title="x", content="")
        )
    with pytest.raises(Forbidden):
        service.update_lesson(db, other_author.principal, lesson.id, LessonUpdateIn(title="x"))
    with pytest.raises(Forbidden):
        service.delete_lesson(db, other_author.principal, lesson.id)
    with pytest.raises(NotFound):
        service.update_module(db, author.principal, uuid.uuid4(), ModuleUpdateIn(title="x"))

    moved = service.update_module(db, admin.principal, module.id, ModuleUpdateIn(position=3))
    assert moved.position == 3 and moved.title == "M"
    edited = service.update_lesson(
        db,
        author.principal,
        lesson.id,
        LessonUpdateIn.model_validate({"content": "# Changed", "duration_minutes": None}),
    )
    assert edited.content == "# Changed" and edited.duration_minutes is None
    assert edited.title == "L" and edited.position == 0


def test_lesson_content_is_for_the_owner_admins_and_enrolled_learners(
    db: Session, author: Account, student: Account, admin: Account
):
    course = _course(db, author)
    module = service.create_module(db, author.principal, course.id, ModuleIn(title="M"))
    lesson = service.create_lesson(
        db, author.principal, module.id, LessonIn(title="L", content="x")
    )

    with pytest.raises(NotFound):  # unpublished: its existence does not leak
        service.get_lesson(db, student.principal, lesson.id)
    service.publish_course(db, author.principal, course.id)
    with pytest.raises(Forbidden):
        service.get_lesson(db, student.principal, lesson.id)
    with pytest.raises(Forbidden):
        service.get_lesson(db, None, lesson.id)

    db.add(Enrollment(user_id=student.id, course_id=course.id))
    db.commit()
    assert service.get_lesson(db, student.principal, lesson.id).content == "x"
    assert service.get_lesson(db, admin.principal, lesson.id).id == lesson.id
    assert service.get_lesson(db, author.principal, lesson.id).module_id == module.id
    with pytest.raises(NotFound):
        service.get_lesson(db, author.principal, uuid.uuid4())


def test_deleting_cascades_down_the_outline(db: Session, author: Account):
    p = author.principal
    course = _course(db, author)
    kept = service.create_module(db, p, course.id, ModuleIn(title="kept"))
    gone = service.create_module(db, p, course.id, ModuleIn(title="gone"))
    service.create_lesson(db, p, gone.id, LessonIn(title="l", content="x"))
    kept_lesson = service.create_lesson(db, p, kept.id, LessonIn(title="l", content="x"))
    dropped = service.create_lesson(db, p, kept.id, LessonIn(title="l2", content="x"))

    service.delete_lesson(db, p, dropped.id)
    service.delete_module(db, p, gone.id)
    outline = service.get_course(db, p, course.id).modules
    assert [(m.id, [x.id for x in m.lessons]) for m in outline] == [(kept.id, [kept_lesson.id])]

    service.delete_course(db, p, course.id)
    assert db.get(Course, course.id) is None
    for model in (Module, Lesson):
        left = db.scalar(
            select(func.count()).select_from(model).where(model.course_id == course.id)
        )
        assert left == 0
    with pytest.raises(NotFound):
        service.get_course(db, p, course.id)


# -- validation ---------------------------------------------------------------------------


def _invalid_fields(model, body: dict) -> set[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as caught:
        model.model_validate(body)
    return {".".join(str(p) for p in e["loc"]) for e in caught.value.errors()}


@pytest.mark.parametrize(
    ("model", "body", "field"),
    [
        (CourseIn, {"title": "   "}, "title"),
        (CourseIn, {"title": "x" * 201}, "title"),
        (CourseIn, {"title": "t", "description": "x" * 10_001}, "description"),
        (CourseIn, {"title": "t", "category": "x" * 65}, "category"),
        (CourseIn, {"title": "t", "tags": [f"t{i}" for i in range(21)]}, "tags"),
        (CourseIn, {"title": "t", "tags": ["x" * 41]}, "tags.0"),
        (CourseIn, {"title": "t", "tags": ["ok", " "]}, "tags.1"),
        (CourseIn, {"title": "t", "owner_id": str(uuid.uuid4())}, "owner_id"),
        (CourseIn, {"title": "t", "published": True}, "published"),
        (CourseIn, {"title": "t", "id": str(uuid.uuid4())}, "id"),
        (CourseUpdateIn, {"title": None}, "title"),
        (CourseUpdateIn, {"tags": None}, "tags"),
        (CourseUpdateIn, {"published_at": "2024-01-01T00:00:00Z"}, "published_at"),
        (ModuleIn, {"title": "m", "position": -1}, "position"),
        (ModuleIn, {"title": "m", "course_id": str(uuid.uuid4())}, "course_id"),
        (ModuleUpdateIn, {"position": None}, "position"),
        (LessonIn, {"title": "l"}, "content"),
        (LessonIn, {"title": "l", "content": "x" * 200_001}, "content"),
        (LessonIn, {"title": "l", "content": "x", "duration_minutes": 0}, "duration_minutes"),
        (LessonIn, {"title": "l", "content": "x", "duration_minutes": 1441}, "duration_minutes"),
        (LessonUpdateIn, {"content": None}, "content"),
        (LessonUpdateIn, {"module_id": str(uuid.uuid4())}, "module_id"),
    ],
)
def test_bad_input_names_the_field(model, body: dict, field: str):  # type: ignore[no-untyped-def]
    assert _invalid_fields(model, body) == {field}


def test_bounds_themselves_are_accepted():
    CourseIn(title="x" * 200, description="d" * 10_000, category="c" * 64, tags=["t" * 40] * 20)
    LessonIn(title="l", content="x" * 200_000, position=0, duration_minutes=1440)
    LessonIn(title="l", content="x", duration_minutes=1)
