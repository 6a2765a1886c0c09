"""The search outbox against the real Postgres: services write their rows in the same
transaction, and the drain carries them to an index that may be down, busy or picky.

The index here is an in-memory fake of the port (it counts pushes, and has an outage
window on an injected clock); the Postgres adapter gets its own end-to-end test at the
bottom, and the real Typesense its drain, re-index and outage in test_search_typesense.py.
"""

import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from lectern.assessment import questions as question_service
from lectern.assessment.schemas import QuestionIn, QuestionUpdateIn
from lectern.catalog import service as catalog
from lectern.catalog.schemas import (
    CourseIn,
    CourseUpdateIn,
    LessonIn,
    LessonUpdateIn,
    ModuleIn,
)
from lectern.core.models import OutboxEntry
from lectern.db.engine import get_sessionmaker
from lectern.errors import DependencyUnavailable, NotFound
from lectern.search import entries, sync
from lectern.search.models import SearchEntry
from lectern.search.port import IndexDoc, Key
from tests.factories import Account, make_account

VOCABULARY = [
    "cell",
    "membrane",
    "enzyme",
    "protein",
    "nucleus",
    "mitosis",
    "meiosis",
    "photosynthesis",
    "ribosome",
    "algorithm",
    "equation",
    "grammar",
    "physiology",
    "heart",
    "valve",
    "rhythm",
    "atrium",
    "ventricle",
    "neuron",
    "synapse",
    "reflex",
    "kidney",
    "filtration",
    "hormone",
    "insulin",
    "glucose",
]


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class FakeIndex:
    """The port in memory: what was pushed, how often, and an outage on the clock."""

    clock: Any = None
    down_from: datetime | None = None
    down_until: datetime | None = None
    refuse: set[Key] = field(default_factory=set)
    delay_seconds: float = 0.0
    docs: dict[Key, IndexDoc] = field(default_factory=dict)
    pushes: Counter[Key] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _up(self) -> None:
        down = self.down_from is not None and self.down_until is not None
        if down and self.down_from <= self.clock() < self.down_until:  # type: ignore[operator]
            raise DependencyUnavailable("search", "index outage")

    def ensure_schema(self, synonyms: Any) -> None:
        self._up()

    def upsert(self, docs: Sequence[IndexDoc]) -> dict[Key, str]:
        self._up()
        time.sleep(self.delay_seconds)
        refused: dict[Key, str] = {}
        with self.lock:
            for doc in docs:
                if doc.key in self.refuse:
                    refused[doc.key] = "Field `body` must be a string."
                    continue
                self.docs[doc.key] = doc
                self.pushes[doc.key] += 1
        return refused

    def delete(self, keys: Sequence[Key]) -> None:
        self._up()
        with self.lock:
            for key in keys:
                self.docs.pop(key, None)
                self.pushes[key] += 1

    def search(self, *_args: Any) -> Any:
        raise NotImplementedError

    def check(self) -> None:
        self._up()


def drain(index: FakeIndex, clock: Any = None, **kwargs: Any) -> sync.DrainReport:
    return sync.drain(
        "search",
        index_factory=lambda _db: index,  # type: ignore[arg-type,return-value]
        clock=clock or sync.utcnow,
        **kwargs,
    )


def outbox_rows(db: Session, ids: Any) -> list[tuple[str, str, uuid.UUID]]:
    db.rollback()  # a fresh snapshot
    rows = db.execute(
        select(OutboxEntry.topic, OutboxEntry.entity_type, OutboxEntry.entity_id)
        .where(OutboxEntry.entity_id.in_(list(ids)))
        .order_by(OutboxEntry.id)
    ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def question_in(course_id: uuid.UUID | None = None, prompt: str | None = None) -> QuestionIn:
    return QuestionIn(
        prompt=prompt or f"What does the {random.choice(VOCABULARY)} do?",
        type="true_false",
        difficulty="easy",
        topic=random.choice(VOCABULARY),
        subject="biology",
        course_id=course_id,
        options=[{"text": "True", "is_correct": True}, {"text": "False", "is_correct": False}],
        explanation="Because of the " + random.choice(VOCABULARY),
    )


@pytest.fixture
def author(db: Session) -> Account:
    return make_account(db, "instructor")


# -- the services' outbox rows --------------------------------------------------------------


def test_writes_add_their_outbox_rows_in_the_same_transaction(db: Session, author: Account) -> None:
    p = author.principal
    course = catalog.create_course(db, p, CourseIn(title="Outbox course"))  # type: ignore[arg-type]
    assert outbox_rows(db, [course.id]) == [("search", "course", course.id)]

    module = catalog.create_module(db, p, course.id, ModuleIn(title="M"))  # type: ignore[arg-type]
    lesson = catalog.create_lesson(db, p, module.id, LessonIn(title="L", content="Text"))  # type: ignore[arg-type]
    assert outbox_rows(db, [lesson.id]) == [
        ("search", "lesson", lesson.id),
        ("embed", "lesson", lesson.id),
    ]
    # Neither the index nor the embedder reads a lesson's duration.
    catalog.update_lesson(db, p, lesson.id, LessonUpdateIn(duration_minutes=5))  # type: ignore[arg-type]
    assert len(outbox_rows(db, [lesson.id])) == 2
    catalog.update_lesson(db, p, lesson.id, LessonUpdateIn(content="New text"))  # type: ignore[arg-type]
    assert len(outbox_rows(db, [lesson.id])) == 4

    catalog.publish_course(db, p, course.id)  # type: ignore[arg-type]
    catalog.publish_course(db, p, course.id)  # type: ignore[arg-type]  # no change, no row
    catalog.update_course(db, p, course.id, CourseUpdateIn(title="Outbox course"))  # type: ignore[arg-type]
    assert len(outbox_rows(db, [course.id])) == 2
    catalog.unpublish_course(db, p, course.id)  # type: ignore[arg-type]
    assert len(outbox_rows(db, [course.id])) == 3

    question = question_service.create_question(db, p, question_in(course.id))  # type: ignore[arg-type]
    bulk = question_service.create_questions(db, p, [question_in(), question_in()])  # type: ignore[arg-type]
    question_service.update_question(db, p, question.id, QuestionUpdateIn(topic="heart"))  # type: ignore[arg-type]
    assert outbox_rows(db, [question.id, *bulk.ids]) == [
        ("search", "question", question.id),
        *[("search", "question", i) for i in bulk.ids],
        ("search", "question", question.id),
    ]
    question_service.delete_question(db, p, bulk.ids[0])  # type: ignore[arg-type]
    assert len(outbox_rows(db, [bulk.ids[0]])) == 2

    # A refused write leaves no row.
    stranger = make_account(db, "instructor")
    with pytest.raises(NotFound):
        catalog.create_lesson(db, stranger.principal, module.id, LessonIn(title="X", content="Y"))  # type: ignore[arg-type]
    db.rollback()
    before = len(outbox_rows(db, [course.id, lesson.id, question.id]))

    # Deleting a course names what goes with it: its lessons and its questions.
    catalog.delete_course(db, p, course.id)  # type: ignore[arg-type]
    after = outbox_rows(db, [course.id, lesson.id, question.id])
    assert len(after) == before + 3
    assert after[-3:] == [
        ("search", "course", course.id),
        ("search", "lesson", lesson.id),
        ("search", "question", question.id),
    ]


def test_a_write_that_fails_before_its_commit_leaves_no_row(
    db: Session, author: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    p = author.principal
    course = catalog.create_course(db, p, CourseIn(title="Rollback"))  # type: ignore[arg-type]
    module = catalog.create_module(db, p, course.id, ModuleIn(title="M"))  # type: ignore[arg-type]

    made: list[uuid.UUID] = []
    real_enqueue = catalog.enqueue

    def spy(db_: Session, entity_type: Any, ids: list[uuid.UUID], *args: Any) -> None:
        made.extend(ids)
        real_enqueue(db_, entity_type, ids, *args)

    def lost_commit() -> None:
        raise RuntimeError("the connection dropped at COMMIT")

    monkeypatch.setattr(catalog, "enqueue", spy)
    with monkeypatch.context() as m:
        m.setattr(db, "commit", lost_commit)
        with pytest.raises(RuntimeError):
            catalog.create_lesson(db, p, module.id, LessonIn(title="Lost", content="x"))  # type: ignore[arg-type]
    db.rollback()
    [lesson_id] = made
    assert outbox_rows(db, [lesson_id]) == []
    assert db.scalar(text("SELECT count(*) FROM lessons WHERE id = :i"), {"i": lesson_id}) == 0


def test_deleting_a_module_names_its_lessons(db: Session, author: Account) -> None:
    p = author.principal
    course = catalog.create_course(db, p, CourseIn(title="Modules"))  # type: ignore[arg-type]
    module = catalog.create_module(db, p, course.id, ModuleIn(title="M"))  # type: ignore[arg-type]
    lessons = [
        catalog.create_lesson(db, p, module.id, LessonIn(title=f"L{i}", content="x"))  # type: ignore[arg-type]
        for i in range(2)
    ]
    catalog.delete_module(db, p, module.id)  # type: ignore[arg-type]
    for lesson in lessons:
        assert outbox_rows(db, [lesson.id])[-1] == ("search", "lesson", lesson.id)


# -- the drain -----------------------------------------------------------------------------


def test_drain_pushes_the_current_state_and_follows_a_course_to_its_lessons(
    db: Session, author: Account
) -> None:
    p = author.principal
    index = FakeIndex()
    course = catalog.create_course(db, p, CourseIn(title="Heart", description="Valves"))  # type: ignore[arg-type]
    module = catalog.create_module(db, p, course.id, ModuleIn(title="M"))  # type: ignore[arg-type]
    lesson = catalog.create_lesson(db, p, module.id, LessonIn(title="Atrium", content="Two"))  # type: ignore[arg-type]
    catalog.update_course(db, p, course.id, CourseUpdateIn(description="Valves and rhythm"))  # type: ignore[arg-type]
    report = drain(index)
    assert report.stopped == "empty"
    assert outbox_rows(db, [course.id, lesson.id]) == [("embed", "lesson", lesson.id)]
    # Two rows for the course, one push: duplicates collapse.
    assert index.pushes[("course", course.id)] == 1
    assert index.docs[("course", course.id)].body == "Valves and rhythm"
    assert index.docs[("lesson", lesson.id)].published is False

    # Publishing changes the lessons' visibility: the course row carries them along.
    catalog.publish_course(db, p, course.id)  # type: ignore[arg-type]
    drain(index)
    assert index.docs[("course", course.id)].published is True
    assert index.docs[("lesson", lesson.id)].published is True

    catalog.delete_lesson(db, p, lesson.id)  # type: ignore[arg-type]
    drain(index)
    assert ("lesson", lesson.id) not in index.docs


def _my_outbox_ids(db: Session, entity_ids: set[uuid.UUID]) -> set[int]:
    db.rollback()
    return set(
        db.scalars(select(OutboxEntry.id).where(OutboxEntry.entity_id.in_(list(entity_ids))))
    )


@dataclass
class WriteMix:
    """Random creates, updates and deletes of courses, lessons and questions, through the
    services, remembering every object it ever made."""

    db: Session
    authors: list[Account]
    rng: random.Random
    courses: dict[uuid.UUID, Account] = field(default_factory=dict)
    modules: dict[uuid.UUID, tuple[uuid.UUID, Account]] = field(default_factory=dict)
    lessons: dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID, Account]] = field(default_factory=dict)
    questions: dict[uuid.UUID, tuple[uuid.UUID | None, Account]] = field(default_factory=dict)
    every_key: set[Key] = field(default_factory=set)
    ops: Counter[str] = field(default_factory=Counter)

    def words(self, n: int) -> str:
        return " ".join(self.rng.choice(VOCABULARY) for _ in range(n))

    def step(self) -> None:
        choices = [
            ("create_course", 8),
            ("update_course", 8),
            ("toggle_publish", 8),
            ("create_module", 6),
            ("delete_module", 2),
            ("create_lesson", 22),
            ("update_lesson", 16),
            ("delete_lesson", 5),
            ("delete_course", 2),
            ("create_question", 10),
            ("bulk_questions", 2),
            ("update_question", 8),
            ("delete_question", 3),
        ]
        op = self.rng.choices([c for c, _ in choices], [w for _, w in choices])[0]
        done = getattr(self, op)()
        if done is False:
            self.create_course()
            op = "create_course"
        self.ops[op] += 1

    def create_course(self) -> None:
        owner = self.rng.choice(self.authors)
        course = catalog.create_course(
            self.db,
            owner.principal,  # type: ignore[arg-type]
            CourseIn(
                title=self.words(3).title(),
                description=self.words(12),
                category=self.rng.choice(["biology", "medicine", None]),
                tags=[self.rng.choice(VOCABULARY)],
            ),
        )
        self.courses[course.id] = owner
        self.every_key.add(("course", course.id))

    def update_course(self) -> bool | None:
        if not self.courses:
            return False
        cid = self.rng.choice(sorted(self.courses))
        catalog.update_course(
            self.db,
            self.courses[cid].principal,
            cid,
            CourseUpdateIn(description=self.words(10)),  # type: ignore[arg-type]
        )
        return None

    def toggle_publish(self) -> bool | None:
        if not self.courses:
            return False
        cid = self.rng.choice(sorted(self.courses))
        action = self.rng.choice([catalog.publish_course, catalog.unpublish_course])
        action(self.db, self.courses[cid].principal, cid)  # type: ignore[arg-type]
        return None

    def create_module(self) -> bool | None:
        if not self.courses:
            return False
        cid = self.rng.choice(sorted(self.courses))
        owner = self.courses[cid]
        module = catalog.create_module(self.db, owner.principal, cid, ModuleIn(title="Module"))  # type: ignore[arg-type]
        self.modules[module.id] = (cid, owner)
        return None

    def delete_module(self) -> bool | None:
        if not self.modules:
            return False
        mid = self.rng.choice(sorted(self.modules))
        _cid, owner = self.modules.pop(mid)
        catalog.delete_module(self.db, owner.principal, mid)  # type: ignore[arg-type]
        for lid in [lid for lid, (m, _c, _o) in self.lessons.items() if m == mid]:
            del self.lessons[lid]
        return None

    def create_lesson(self) -> bool | None:
        if not self.modules:
            return self.create_module()
        mid = self.rng.choice(sorted(self.modules))
        cid, owner = self.modules[mid]
        lesson = catalog.create_lesson(
            self.db,
            owner.principal,
            mid,
            LessonIn(title=self.words(2), content=self.words(40)),  # type: ignore[arg-type]
        )
        self.lessons[lesson.id] = (mid, cid, owner)
        self.every_key.add(("lesson", lesson.id))
        return None

    def update_lesson(self) -> bool | None:
        if not self.lessons:
            return self.create_lesson()
        lid = self.rng.choice(sorted(self.lessons))
        owner = self.lessons[lid][2]
        catalog.update_lesson(
            self.db,
            owner.principal,
            lid,
            LessonUpdateIn(content=self.words(30)),  # type: ignore[arg-type]
        )
        return None

    def delete_lesson(self) -> bool | None:
        if not self.lessons:
            return False
        lid = self.rng.choice(sorted(self.lessons))
        _m, _c, owner = self.lessons.pop(lid)
        catalog.delete_lesson(self.db, owner.principal, lid)  # type: ignore[arg-type]
        return None

    def delete_course(self) -> bool | None:
        if not self.courses:
            return False
        cid = self.rng.choice(sorted(self.courses))
        owner = self.courses.pop(cid)
        catalog.delete_course(self.db, owner.principal, cid)  # type: ignore[arg-type]
        self.modules = {m: v for m, v in self.modules.items() if v[0] != cid}
        self.lessons = {lid: v for lid, v in self.lessons.items() if v[1] != cid}
        self.questions = {q: v for q, v in self.questions.items() if v[0] != cid}
        return None

    def create_question(self) -> bool | None:
        owner = self.rng.choice(self.authors)
        own_courses = [c for c, o in self.courses.items() if o is owner]
        cid = self.rng.choice([None, *own_courses])
        question = question_service.create_question(
            self.db,
            owner.principal,
            question_in(cid, self.words(6) + "?"),  # type: ignore[arg-type]
        )
        self.questions[question.id] = (cid, owner)
        self.every_key.add(("question", question.id))
        return None

    def bulk_questions(self) -> bool | None:
        owner = self.rng.choice(self.authors)
        made = question_service.create_questions(
            self.db,
            owner.principal,
            [question_in() for _ in range(3)],  # type: ignore[arg-type]
        )
        for qid in made.ids:
            self.questions[qid] = (None, owner)
            self.every_key.add(("question", qid))
        return None

    def update_question(self) -> bool | None:
        if not self.questions:
            return self.create_question()
        qid = self.rng.choice(sorted(self.questions))
        owner = self.questions[qid][1]
        question_service.update_question(
            self.db,
            owner.principal,
            qid,
            QuestionUpdateIn(explanation=self.words(8)),  # type: ignore[arg-type]
        )
        return None

    def delete_question(self) -> bool | None:
        if not self.questions:
            return False
        qid = self.rng.choice(sorted(self.questions))
        _c, owner = self.questions.pop(qid)
        question_service.delete_question(self.db, owner.principal, qid)  # type: ignore[arg-type]
        return None


def test_a_thousand_writes_during_a_30_second_outage_leave_no_difference(db: Session) -> None:
    """1,000 writes while the index is down for 30 seconds (of the injected clock); drains
    during the outage lose no row; once it is over, one run leaves the index equal to the
    database: content and visibility fields of every object, and no deleted object."""
    clock = FakeClock(datetime.now(UTC) + timedelta(hours=1))
    index = FakeIndex(clock=clock, down_from=clock(), down_until=clock() + timedelta(seconds=30))
    mix = WriteMix(db, [make_account(db, "instructor") for _ in range(3)], random.Random(4))
    sent: list[dict[str, Any]] = []

    def my_ids() -> set[uuid.UUID]:
        return {i for _t, i in mix.every_key}

    for n in range(1, 1001):
        mix.step()
        clock.advance(0.03)  # 1,000 writes span the 30-second outage
        if n % 50 == 0 and n < 1000:
            kept = _my_outbox_ids(db, my_ids())
            report = drain(index, clock)
            assert report.stopped == "unavailable"
            assert report.done == 0
            assert kept <= _my_outbox_ids(db, my_ids()), "a row was lost during the outage"
    assert mix.ops["delete_course"] and mix.ops["delete_lesson"] and mix.ops["delete_question"]
    failed_rows = db.scalar(
        select(OutboxEntry.id)
        .where(OutboxEntry.entity_id.in_(list(my_ids())), OutboxEntry.attempts > 0)
        .limit(1)
    )
    assert failed_rows is not None, "the outage drains never reached a row"

    # The outage is over; whatever back-off the rows were given has passed too.
    clock.advance(sync.BACKOFF_CAP_SECONDS + 60)
    assert clock() >= index.down_until  # type: ignore[operator]
    result = sync.run(
        index_factory=lambda _db: index,  # type: ignore[arg-type,return-value]
        send=sent.extend,
        clock=clock,
    )
    assert result["search"]["stopped"] == "empty"
    assert result["search"]["failed"] == 0
    assert _my_outbox_ids(db, my_ids()) == set()

    db.rollback()
    docs, gone = entries.load(db, mix.every_key)
    expected = {d.key: d for d in docs}
    actual = {k: index.docs[k] for k in mix.every_key if k in index.docs}
    differences = {k for k in expected.keys() | actual.keys() if expected.get(k) != actual.get(k)}
    assert differences == set()
    assert len(expected) > 200 and len(gone) > 20
    # Live lessons were relayed to the embedder (deleted ones were not).
    relayed = {uuid.UUID(m["lesson_id"]) for m in sent}
    assert {i for t, i in expected if t == "lesson"} <= relayed
    assert not {i for t, i in gone if t == "lesson"} & relayed


def test_concurrent_drains_never_push_the_same_row_twice(db: Session, author: Account) -> None:
    made = question_service.create_questions(
        db,
        author.principal,
        [question_in() for _ in range(120)],  # type: ignore[arg-type]
    )
    keys = {("question", i) for i in made.ids}
    index = FakeIndex(delay_seconds=0.01)
    reports: list[sync.DrainReport] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            reports.append(drain(index, batch_size=10))
        except BaseException as exc:  # pragma: no cover - surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert {k: index.pushes[k] for k in keys} == dict.fromkeys(keys, 1)
    assert sum(1 for r in reports if r.done) >= 2, "the drains did not overlap"
    assert outbox_rows(db, made.ids) == []


def test_an_object_another_drain_holds_is_left_for_later(db: Session, author: Account) -> None:
    p = author.principal
    course = catalog.create_course(db, p, CourseIn(title="Busy"))  # type: ignore[arg-type]
    catalog.update_course(db, p, course.id, CourseUpdateIn(title="Busy still"))  # type: ignore[arg-type]
    index = FakeIndex()
    other = get_sessionmaker()()
    try:
        # What a concurrent drain working on this course holds.
        other.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
            {"k": f"{sync.LOCK_PREFIX}course:{course.id}"},
        )
        report = drain(index)
        assert report.deferred >= 2
        assert ("course", course.id) not in index.pushes
        assert len(outbox_rows(db, [course.id])) == 2
    finally:
        other.rollback()
        other.close()
    drain(index)
    assert index.pushes[("course", course.id)] == 1
    assert index.docs[("course", course.id)].title == "Busy still"
    assert outbox_rows(db, [course.id]) == []


def test_a_poison_row_does_not_block_the_rest(db: Session, author: Account) -> None:
    made = question_service.create_questions(
        db,
        author.principal,
        [question_in() for _ in range(3)],  # type: ignore[arg-type]
    )
    poison = ("question", made.ids[1])
    clock = FakeClock(datetime.now(UTC) + timedelta(seconds=1))
    index = FakeIndex(refuse={poison})
    report = drain(index, clock)
    assert report.failed == 1
    assert set(index.docs) >= {("question", made.ids[0]), ("question", made.ids[2])}
    row = db.scalars(select(OutboxEntry).where(OutboxEntry.entity_id == made.ids[1])).one()
    assert (row.attempts, row.last_error) == (1, "Field `body` must be a string.")
    assert row.available_at == clock() + sync.backoff(0)

    poisoned = 0
    for _ in range(sync.MAX_ATTEMPTS - 1):
        clock.advance(sync.BACKOFF_CAP_SECONDS)
        poisoned += drain(index, clock).poisoned
    assert poisoned >= 1
    db.refresh(row)
    assert row.attempts == sync.MAX_ATTEMPTS  # kept, for someone to look at

    index.refuse.clear()
    clock.advance(sync.BACKOFF_CAP_SECONDS)
    drain(index, clock)
    assert poison in index.docs
    assert outbox_rows(db, made.ids) == []


def test_embed_rows_reach_the_ingest_queue(db: Session, author: Account) -> None:
    from lectern.config import get_settings
    from lectern.queue.factory import get_queue

    p = author.principal
    course = catalog.create_course(db, p, CourseIn(title="Embeds"))  # type: ignore[arg-type]
    module = catalog.create_module(db, p, course.id, ModuleIn(title="M"))  # type: ignore[arg-type]
    lesson = catalog.create_lesson(db, p, module.id, LessonIn(title="L", content="Words"))  # type: ignore[arg-type]

    def down(_bodies: Any) -> None:
        raise DependencyUnavailable("queue", "SQS is down")

    report = sync.drain("embed", send=down)
    assert report.stopped == "unavailable"
    assert ("embed", "lesson", lesson.id) in outbox_rows(db, [lesson.id])

    db.execute(
        text("UPDATE outbox SET available_at = now() WHERE topic = 'embed' AND entity_id = :i"),
        {"i": lesson.id},
    )
    db.commit()
    report = sync.drain("embed")  # the real SQS client, against the stack's queue
    assert report.relayed >= 1
    assert ("embed", "lesson", lesson.id) not in outbox_rows(db, [lesson.id])
    queue_url = get_settings().ingest.queue_url
    found = False
    # Until found or the queue is empty: earlier tests' lessons may be ahead of this one.
    while True:
        got = get_queue().client.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        )
        for message in got.get("Messages", []):
            get_queue().client.delete_message(
                QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"]
            )
            found = found or f'"lesson_id":"{lesson.id}"' in message["Body"]
        if found or not got.get("Messages"):
            break
    assert found


def test_a_run_with_the_index_down_touches_no_row(db: Session, author: Account) -> None:
    question = question_service.create_question(db, author.principal, question_in())  # type: ignore[arg-type]
    clock = FakeClock(datetime.now(UTC) + timedelta(seconds=1))
    index = FakeIndex(clock=clock, down_from=clock(), down_until=clock() + timedelta(hours=1))
    result = sync.run(
        index_factory=lambda _db: index,  # type: ignore[arg-type,return-value]
        send=lambda _b: None,
        clock=clock,
    )
    assert result["search"]["stopped"] == "unavailable"
    row = db.scalars(select(OutboxEntry).where(OutboxEntry.entity_id == question.id)).one()
    assert row.attempts == 0
    assert result["backlog"]["search"]["rows"] >= 1


# -- end to end with the Postgres adapter ---------------------------------------------------


@pytest.fixture
def clean_entries(db: Session) -> Iterator[list[Key]]:
    keys: list[Key] = []
    yield keys
    db.rollback()
    from lectern.search.postgres import PostgresIndex

    PostgresIndex(db).delete(keys)
    db.commit()


def test_drain_into_postgres_leaves_the_entries_equal_to_the_database(
    db: Session, clean_entries: list[Key]
) -> None:
    mix = WriteMix(db, [make_account(db, "instructor") for _ in range(2)], random.Random(7))
    for _ in range(150):
        mix.step()
    clean_entries.extend(mix.every_key)
    report = sync.drain("search")  # the configured index: Postgres
    assert report.stopped == "empty"
    assert report.failed == 0

    db.rollback()
    docs, gone = entries.load(db, mix.every_key)
    rows = db.scalars(
        select(SearchEntry).where(SearchEntry.entity_id.in_([i for _t, i in mix.every_key]))
    ).all()
    actual = {
        (r.entity_type, r.entity_id): IndexDoc(
            type=r.entity_type,  # type: ignore[arg-type]
            id=r.entity_id,
            title=r.title,
            body=r.body,
            course_id=r.course_id,
            owner_id=r.owner_id,
            published=r.published,
        )
        for r in rows
    }
    assert actual == {d.key: d for d in docs}
    assert not set(gone) & set(actual)
