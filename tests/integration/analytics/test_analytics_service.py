"""Analytics against the real Postgres: client batches (one statement, all or nothing,
courses checked), the daily report (who sees what, the range rules, indexed reads), and
the events Lectern records itself in its own actions' transactions."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.exc import DBAPIError

from tests.factories import make_account, make_course, sql_statements
from tests.integration.assessment.helpers import make_bank, right_answer, unique


def _batch(*events):
    from lectern.analytics.schemas import EventBatchIn

    return EventBatchIn.model_validate({"events": list(events)})


def _event(kind="lesson_viewed", when=None, **context):
    body = {"type": kind, "occurred_at": (when or datetime.now(UTC)).isoformat()}
    if context:
        body["context"] = context
    return body


def _events(db, user_id, kind=None):
    from lectern.analytics.models import Event

    statement = select(Event).where(Event.user_id == user_id).order_by(Event.occurred_at)
    if kind is not None:
        statement = statement.where(Event.type == kind)
    return db.scalars(statement.execution_options(populate_existing=True)).all()


def _record(db, account, batch, **kw):
    from lectern.analytics.service import record_client_events

    return record_client_events(db, account.principal, batch, **kw)


def _invalid_field(call) -> str:
    from lectern.errors import InvalidField

    with pytest.raises(InvalidField) as exc:
        call()
    return exc.value.field


# --- client batches ---------------------------------------------------------------------


def test_a_full_batch_is_one_insert_from_the_caller_with_courses_lifted(db):
    owner, learner = make_account(db, "instructor"), make_account(db)
    course, lessons = make_course(db, owner)
    paris = datetime.now(timezone(timedelta(hours=2)))
    events = [
        _event("video_progress", paris, course_id=str(course.id), lesson_id=str(lessons[0].id), i=i)
        if i % 2
        else _event("search_performed", q=f"query {i}", i=i)
        for i in range(500)
    ]
    with sql_statements() as sent:
        out = _record(db, learner, _batch(*events))
    assert out.accepted == 500
    inserts = [s for s in sent if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1
    # The batch's one course lookup, and nothing per event.
    assert len([s for s in sent if "FROM courses" in s]) == 1

    stored = _events(db, learner.id)
    assert len(stored) == 500
    by_i = {e.context["i"]: e for e in stored}
    video, search = by_i[1], by_i[0]
    assert video.type == "video_progress" and video.course_id == course.id
    assert "course_id" not in video.context and video.context["lesson_id"] == str(lessons[0].id)
    assert video.occurred_at == paris
    assert search.course_id is None and search.context["q"] == "query 0"
    assert {e.user_id for e in stored} == {learner.id}


def test_course_ids_must_be_courses_the_caller_may_view(db):
    owner, learner = make_account(db, "instructor"), make_account(db)
    live, _ = make_course(db, owner)
    draft, _ = make_course(db, owner, published=False)
    now = datetime.now(UTC)

    for bad in (str(uuid.uuid4()), str(draft.id), "not-a-uuid", 42, ["x"]):
        batch = _batch(_event(course_id=str(live.id)), _event(), _event(course_id=bad))
        assert (
            _invalid_field(lambda b=batch: _record(db, learner, b)) == "events.2.context.course_id"
        )
        db.rollback()
    assert _events(db, learner.id) == []

    # The owner may report on their own draft; a published course is anyone's to report on.
    assert _record(db, owner, _batch(_event(course_id=str(draft.id)))).accepted == 1
    assert _record(db, learner, _batch(_event(course_id=str(live.id)), _event(when=now))).accepted
    assert [e.course_id for e in _events(db, owner.id)] == [draft.id]


def test_occurred_at_must_lie_within_retention_and_a_day_ahead(db):
    from lectern.config import get_settings

    learner = make_account(db)
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    retention = timedelta(days=get_settings().analytics.retention_days)
    for too_far in (now - retention - timedelta(seconds=1), now + timedelta(days=1, seconds=1)):
        batch = _batch(_event(when=now), _event(when=too_far))
        field = _invalid_field(lambda b=batch: _record(db, learner, b, now=now))
        assert field == "events.1.occurred_at"
    assert _events(db, learner.id) == []

    edges = _batch(_event(when=now - retention), _event(when=now + timedelta(days=1)))
    assert _record(db, learner, edges, now=now).accepted == 2
    assert len(_events(db, learner.id)) == 2


def test_the_schema_refuses_what_a_client_may_not_send():
    from pydantic import ValidationError

    from lectern.analytics.schemas import EventBatchIn

    def fields(body):
        with pytest.raises(ValidationError) as exc:
            EventBatchIn.model_validate(body)
        return {".".join(str(p) for p in e["loc"]) for e in exc.value.errors()}

    ok = _event()
    assert fields({"events": []}) == {"events"}
    assert fields({"events": [ok] * 501}) == {"events"}
    assert fields({"events": [ok, {**ok, "type": "page_viewed"}]}) == {"events.1.type"}
    naive = {**ok, "occurred_at": "2026-03-01T12:00:00"}
    assert fields({"events": [naive]}) == {"events.0.occurred_at"}
    for extra in ("user_id", "id", "course_id", "received_at"):
        assert fields({"events": [{**ok, extra: str(uuid.uuid4())}]}) == {f"events.0.{extra}"}
    assert fields({"events": [ok], "user_id": str(uuid.uuid4())}) == {"user_id"}
    for context in (
        {"blob": "x" * 8200},
        {"nul": "a\x00b"},
        {"nan": float("nan")},
        {"deep": [[[[[[[[[[[[[[[[["too deep"]]]]]]]]]]]]]]]]]},
        ["not", "an", "object"],
    ):
        assert fields({"events": [{**ok, "context": context}]}) == {"events.0.context"}
    fits = {"blob": "é" * 4000}  # 8000 bytes of UTF-8 plus the key: just under 8 KB
    assert EventBatchIn.model_validate({"events": [{**ok, "context": fits}]})
    assert (
        EventBatchIn.model_validate({"events": [{**ok, "context": None}]}).events[0].context == {}
    )


# --- the daily report -------------------------------------------------------------------

# Days no other test writes rollups for: the rows here are the only ones in range.
FIRST = date(2003, 2, 10)


def _fill_rollups(db, courses):
    """Rollup rows straight through the ORM, as the aggregate task would write them."""
    from lectern.analytics.models import DailyCourseActivity, DailyEventCount, EventType

    days = [FIRST, FIRST + timedelta(days=1), FIRST + timedelta(days=2)]
    db.execute(DailyEventCount.__table__.delete().where(DailyEventCount.day.between(*days[::2])))
    for n, day in enumerate(days):
        db.add(DailyEventCount(day=day, event_type=EventType.lesson_viewed, events=10 + n, users=3))
        db.add(DailyEventCount(day=day, event_type=EventType.exam_started, events=2, users=1))
        for course in courses:
            for kind in (EventType.lesson_completed, EventType.lesson_viewed):
                db.add(
                    DailyCourseActivity(
                        day=day, course_id=course.id, event_type=kind, events=5 + n, users=2
                    )
                )
    db.commit()
    return days


def _report(db, account, first=FIRST, last=FIRST + timedelta(days=2), **kw):
    from lectern.analytics.service import daily_report

    return daily_report(db, account.principal, first=first, last=last, **kw)


def test_an_instructor_sees_only_their_courses_and_an_admin_everything(db):
    mine_owner, theirs_owner = make_account(db, "instructor"), make_account(db, "instructor")
    admin = make_account(db, "admin")
    alpha, _ = make_course(db, mine_owner, title="Alpha")
    beta, _ = make_course(db, mine_owner, title="Beta", published=False)
    other, _ = make_course(db, theirs_owner, title="Aardvark")
    days = _fill_rollups(db, [beta, alpha, other])

    mine = _report(db, mine_owner)
    assert mine.totals == []
    assert (mine.first, mine.last) == (days[0], days[-1])
    keys = [(r.day, r.course_title, r.event_type.value) for r in mine.courses]
    expected = [
        (day, title, kind)
        for day in days
        for title in ("Alpha", "Beta")
        for kind in ("lesson_viewed", "lesson_completed")  # the enum's order
    ]
    assert keys == expected
    assert {r.course_id for r in mine.courses} == {alpha.id, beta.id}
    assert mine.courses[0].events == 5 and mine.courses[-1].events == 7
    assert mine.courses[0].users == 2

    everything = _report(db, admin)
    assert [(t.day, t.event_type.value, t.events) for t in everything.totals] == [
        (day, kind, count)
        for n, day in enumerate(days)
        for kind, count in (("lesson_viewed", 10 + n), ("exam_started", 2))
    ]
    seen = {(r.course_id, r.day) for r in everything.courses}
    assert {(c.id, d) for c in (alpha, beta, other) for d in days} <= seen
    ours = [r.course_title for r in everything.courses if r.day == days[0]]
    assert ours.index("Aardvark") < ours.index("Alpha") < ours.index("Beta")

    one_day = _report(db, admin, first=days[1], last=days[1])
    assert {t.day for t in one_day.totals} == {r.day for r in one_day.courses} == {days[1]}


def test_the_course_filter_is_for_its_owner_or_an_admin(db):
    from lectern.errors import NotFound

    owner, stranger = make_account(db, "instructor"), make_account(db, "instructor")
    admin = make_account(db, "admin")
    wanted, _ = make_course(db, owner, title="Wanted")
    also_mine, _ = make_course(db, owner, title="Also mine")
    _fill_rollups(db, [wanted, also_mine])

    for account in (owner, admin):
        rows = _report(db, account, course_id=wanted.id).courses
        assert len(rows) == 6 and {r.course_id for r in rows} == {wanted.id}
    assert _report(db, admin, course_id=wanted.id).totals != []
    for course_id in (wanted.id, uuid.uuid4()):
        with pytest.raises(NotFound):
            _report(db, stranger, course_id=course_id)


def test_the_range_defaults_to_thirty_days_and_is_bounded(db):
    from lectern.analytics.service import report_range

    today = date(2026, 3, 1)
    assert report_range(None, None, today=today) == (date(2026, 1, 31), today)
    assert report_range(None, date(2025, 12, 31), today=today) == (
        date(2025, 12, 2),
        date(2025, 12, 31),
    )
    assert report_range(date(2026, 2, 20), None, today=today) == (date(2026, 2, 20), today)
    assert report_range(date(2025, 3, 1), date(2026, 3, 1), today=today)[0] == date(2025, 3, 1)
    assert _invalid_field(
        lambda: report_range(date(2026, 3, 2), date(2026, 3, 1), today=today)
    ) == ("to")
    assert _invalid_field(
        lambda: report_range(date(2024, 2, 29), date(2025, 3, 1), today=today)
    ) == ("from")
    # 366 days both included is the most: a leap year.
    assert report_range(date(2024, 1, 1), date(2024, 12, 31), today=today)


def test_an_instructors_report_reads_through_the_indexes(db):
    from lectern.analytics.reports import daily_courses

    owner = make_account(db, "instructor")
    course, _ = make_course(db, owner)
    _fill_rollups(db, [course])
    sent = []

    def capture(_conn, _cursor, statement, parameters, *_args):
        sent.append((statement, parameters))

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", capture)
    try:
        assert len(daily_courses(db, FIRST, FIRST + timedelta(days=2), owner.id)) == 6
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    [(statement, parameters)] = sent
    # At scale (here 2,000 other courses, 400 of them with two months of rollups, all
    # rolled back afterwards), one instructor's few courses are found by owner, then
    # their days by course. Without the courses the plan would depend on how many the
    # other tests happened to make.
    other = make_account(db, "instructor")
    db.execute(
        text(
            "INSERT INTO courses (id, owner_id, title)"
            " SELECT gen_random_uuid(), :other, 'Other' FROM generate_series(1, 2000)"
        ),
        {"other": other.id},
    )
    db.execute(text("ANALYZE courses"))
    db.execute(
        text(
            "INSERT INTO daily_course_activity (day, course_id, event_type, events, users) "
            "SELECT CAST(:first AS date) + d, c.id, t.type::event_type, 1, 1 "
            "FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, 400)) c, "
            "generate_series(-30, 30) d, "
            "unnest(ARRAY['lesson_viewed', 'video_progress']) t(type)"
        ),
        {"first": FIRST},
    )
    db.execute(text("ANALYZE daily_course_activity"))
    explain = db.connection().exec_driver_sql("EXPLAIN " + statement, parameters)
    plan = "\n".join(row[0] for row in explain)
    db.rollback()
    assert "ix_courses_owner_id_created_at" in plan, plan
    assert "ix_daily_course_activity_course_id_day" in plan, plan
    assert "Seq Scan" not in plan, plan


# --- Lectern's own events ---------------------------------------------------------------


def test_enrolling_records_one_event_and_a_second_enroll_none(db):
    from lectern.errors import Conflict
    from lectern.progress import service

    owner, learner = make_account(db, "instructor"), make_account(db)
    course, _ = make_course(db, owner)
    service.enroll(db, learner.principal, course.id)
    with pytest.raises(Conflict):
        service.enroll(db, learner.principal, course.id)
    [event] = _events(db, learner.id)
    assert (event.type, event.course_id, event.context) == ("course_enrolled", course.id, {})


def test_completing_a_lesson_records_it_once(db):
    from lectern.errors import Forbidden
    from lectern.progress import service

    owner, learner = make_account(db, "instructor"), make_account(db)
    course, lessons = make_course(db, owner, lessons=2)
    with pytest.raises(Forbidden):
        service.complete_lesson(db, learner.principal, lessons[0].id)
    db.rollback()
    assert _events(db, learner.id) == []

    service.enroll(db, learner.principal, course.id)
    service.complete_lesson(db, learner.principal, lessons[0].id)
    service.complete_lesson(db, learner.principal, lessons[0].id)  # a repeat: no new event
    [event] = _events(db, learner.id, "lesson_completed")
    assert event.course_id == course.id and event.context == {"lesson_id": str(lessons[0].id)}


def test_an_action_that_fails_after_its_event_leaves_no_event(db):
    """The event is part of the action's transaction: when the action rolls back, so does it."""
    from lectern.progress import service
    from lectern.progress.models import LessonCompletion

    owner, learner = make_account(db, "instructor"), make_account(db)
    course, lessons = make_course(db, owner, lessons=1)
    service.enroll(db, learner.principal, course.id)
    # Make the certificate step (after the event) fail: a trigger refuses this learner's.
    refuse = f"refuse_{learner.id.hex}"
    db.execute(
        text(
            f"CREATE FUNCTION {refuse}() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'refused'; END $$"
        )
    )
    db.execute(
        text(
            f"CREATE TRIGGER {refuse} BEFORE INSERT ON certificates FOR EACH ROW "
            f"WHEN (NEW.user_id = '{learner.id}') EXECUTE FUNCTION {refuse}()"
        )
    )
    db.commit()
    try:
        with pytest.raises(DBAPIError, match="refused"):
            service.complete_lesson(db, learner.principal, lessons[0].id)
        db.rollback()
    finally:
        db.execute(text(f"DROP FUNCTION {refuse}() CASCADE"))
        db.commit()
    assert _events(db, learner.id, "lesson_completed") == []
    assert (
        db.scalars(select(LessonCompletion).where(LessonCompletion.user_id == learner.id)).all()
        == []
    )


def _exam(db, learner, size, **criteria):
    from lectern.assessment.exams import create_exam
    from lectern.assessment.schemas import ExamIn

    return create_exam(db, learner.principal, ExamIn(size=size, mode="exam", **criteria))


def test_exams_record_their_start_and_their_end(db):
    from lectern.assessment.exams import answer, submit
    from lectern.assessment.schemas import ExamAnswerIn
    from lectern.errors import Conflict

    author, learner = make_account(db, "instructor"), make_account(db)
    topic = unique("events")
    make_bank(db, author, 4, topic=topic)
    with pytest.raises(Conflict):
        _exam(db, learner, 4, topic=unique("nothing"))
    db.rollback()
    assert _events(db, learner.id) == []

    exam = _exam(db, learner, 4, topic=topic)
    [started] = _events(db, learner.id, "exam_started")
    assert started.context == {"exam_id": str(exam.id), "mode": "exam", "size": 4}
    assert started.course_id is None
    answer(
        db,
        learner.principal,
        exam.id,
        ExamAnswerIn.model_validate(right_answer(db, exam.questions[0].id)),
    )
    submit(db, learner.principal, exam.id)
    with pytest.raises(Conflict):
        submit(db, learner.principal, exam.id)
    db.rollback()
    [ended] = _events(db, learner.id, "exam_completed")
    assert ended.context == {"exam_id": str(exam.id), "score": 0.25, "correct": 1, "total": 4}


def test_an_exam_ended_by_its_deadline_records_its_end(db):
    from lectern.assessment.exams import get_exam
    from lectern.assessment.models import Exam

    author, learner = make_account(db, "instructor"), make_account(db)
    topic = unique("deadline-events")
    make_bank(db, author, 2, topic=topic)
    exam = _exam(db, learner, 2, topic=topic, time_limit_minutes=5)
    past = datetime.now(UTC) - timedelta(seconds=1)
    db.execute(update(Exam).where(Exam.id == exam.id).values(deadline_at=past))
    db.commit()

    assert get_exam(db, learner.principal, exam.id).status == "completed"
    assert get_exam(db, learner.principal, exam.id).status == "completed"
    [ended] = _events(db, learner.id, "exam_completed")
    assert ended.context == {"exam_id": str(exam.id), "score": 0.0, "correct": 0, "total": 2}
