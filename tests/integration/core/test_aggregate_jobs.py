"""The scheduled aggregate tasks and their runner, against the real Postgres and Upstash
emulator: watermarks, failures and reruns, overlapping runs, and what each task keeps."""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete as sa_delete
from sqlalchemy import select, text

from tests.factories import make_account, new_account
from tests.integration.assessment.helpers import make_bank, right_answer, unique, wrong_answer


@pytest.fixture
def no_lag(monkeypatch):
    """Tasks read up to now (not a minute behind), so rows written by the test count."""
    from lectern.core import upkeep as jobs

    monkeypatch.setattr(jobs, "IN_FLIGHT_LAG", timedelta(0))


@pytest.fixture
def own_kv_prefix(settings_env):
    """Boards and session indexes of this test's own, so what the tasks find is exact."""
    from tests.conftest import reset_clients

    settings_env.setenv("LECTERN_KV_PREFIX", f"lectern-test-{uuid.uuid4().hex[:8]}")
    reset_clients()
    return settings_env


def _state(db, task: str):
    from lectern.core.models import JobState

    db.expire_all()
    return db.get(JobState, task)


def _event(day: date, user_id=None, course_id=None, hour=12):
    from lectern.analytics.events import NewEvent
    from lectern.analytics.models import EventType

    return NewEvent(
        EventType.lesson_viewed,
        datetime(day.year, day.month, day.day, hour, tzinfo=UTC),
        user_id,
        course_id,
    )


def _record(db, events) -> None:
    from lectern.analytics.events import record_events

    record_events(db, events)
    db.commit()


def _days_ago(n: int) -> date:
    return datetime.now(UTC).date() - timedelta(days=n)


def _course_events(db, course: uuid.UUID, day: date) -> int | None:
    return db.scalar(
        text("SELECT sum(events) FROM daily_course_activity WHERE course_id = :c AND day = :d"),
        {"c": course, "d": day},
    )


# --- the runner -------------------------------------------------------------------------


def test_rollups_task_advances_its_watermark_and_redoes_a_day_a_late_event_reaches(db, no_lag):
    from lectern.core.upkeep import run_tasks

    course = uuid.uuid4()
    day, other_day = _days_ago(9), _days_ago(8)
    _record(db, [_event(day, uuid.uuid4(), course), _event(other_day, uuid.uuid4(), course)])

    first = run_tasks(["rollups"])["rollups"]
    assert first["status"] == "ok"
    assert {day.isoformat(), other_day.isoformat()} <= set(first["details"]["days"])
    state = _state(db, "rollups")
    assert state.last_status == "ok" and state.last_error is None
    first_watermark = state.watermark
    assert first_watermark is not None
    assert state.last_started_at <= state.last_finished_at
    assert _course_events(db, course, day) == 1

    _record(db, [_event(day, uuid.uuid4(), course, hour=20)])  # late, for an old day
    second = run_tasks(["rollups"])["rollups"]
    assert second["details"]["days"] == [day.isoformat()]
    assert _state(db, "rollups").watermark > first_watermark
    assert _course_events(db, course, day) == 2
    assert _course_events(db, course, other_day) == 1

    assert run_tasks(["rollups"])["rollups"]["details"]["days"] == []


def test_rollups_wait_a_minute_for_transactions_still_in_flight(db):
    from lectern.core.upkeep import IN_FLIGHT_LAG, run_tasks

    run_tasks(["rollups"])
    course = uuid.uuid4()
    _record(db, [_event(_days_ago(10), uuid.uuid4(), course)])
    outcome = run_tasks(["rollups"])["rollups"]
    assert _days_ago(10).isoformat() not in outcome["details"]["days"]
    assert _course_events(db, course, _days_ago(10)) is None
    now = db.scalar(text("SELECT now()"))
    watermark = _state(db, "rollups").watermark
    assert now - IN_FLIGHT_LAG - timedelta(seconds=30) < watermark < now - IN_FLIGHT_LAG


def test_a_failed_task_is_recorded_the_others_run_and_a_rerun_repairs_it(db, no_lag, monkeypatch):
    from lectern.analytics import rollups
    from lectern.core.upkeep import run_tasks

    run_tasks(["rollups"])
    watermark = _state(db, "rollups").watermark
    course = uuid.uuid4()
    day = _days_ago(11)
    _record(db, [_event(day, uuid.uuid4(), course) for _ in range(3)])

    real = rollups.rollup_days

    def half_then_fail(session, days):
        real(session, days)  # writes the rollups, then fails: all of it must roll back
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(rollups, "rollup_days", half_then_fail)
    outcome = run_tasks(["rollups", "shares"])
    assert outcome["rollups"]["status"] == "failed"
    assert outcome["rollups"]["error"] == "RuntimeError: disk on fire"
    assert outcome["shares"]["status"] == "ok"
    state = _state(db, "rollups")
    assert state.last_status == "failed"
    assert state.last_error == "RuntimeError: disk on fire"
    assert "Traceback" not in state.last_error
    assert state.watermark == watermark
    assert _course_events(db, course, day) is None

    monkeypatch.setattr(rollups, "rollup_days", real)
    again = run_tasks(["rollups"])["rollups"]
    assert again["status"] == "ok" and day.isoformat() in again["details"]["days"]
    assert _course_events(db, course, day) == 3
    state = _state(db, "rollups")
    assert state.last_status == "ok" and state.last_error is None
    # And it is the same result as a run that never failed: a fresh recompute of the day.
    from lectern.analytics.store.factory import get_store

    before = db.execute(text("SELECT * FROM daily_course_activity WHERE day = :d"), {"d": day})
    before_rows = sorted(tuple(r) for r in before)
    get_store().rollup_days(db, [day])
    db.commit()
    after = db.execute(text("SELECT * FROM daily_course_activity WHERE day = :d"), {"d": day})
    assert sorted(tuple(r) for r in after) == before_rows


def test_a_kv_outage_fails_only_the_tasks_that_need_the_kv(db, settings_env):
    from lectern.core.upkeep import run_tasks
    from tests.conftest import reset_clients

    settings_env.setenv("LECTERN_KV_URL", "http://127.0.0.1:9")
    reset_clients()
    outcome = run_tasks(["sessions", "shares"])
    assert {name: o["status"] for name, o in outcome.items()} == {
        "sessions": "failed",
        "shares": "ok",
    }
    assert outcome["sessions"]["error"].startswith("KVUnavailable: ")
    assert _state(db, "sessions").last_status == "failed"


def test_unknown_task_names_are_refused_before_anything_runs():
    from lectern.core.upkeep import run_tasks

    with pytest.raises(ValueError, match="unknown tasks"):
        run_tasks(["rollups", "reticulate"])


def test_a_task_another_run_holds_is_skipped_as_busy(db, no_lag):
    from lectern.core.upkeep import _lock_key, run_tasks
    from lectern.db.engine import get_sessionmaker

    with get_sessionmaker()() as other:  # another run, in the middle of the rollups
        other.execute(select(text(f"pg_advisory_xact_lock({_lock_key('rollups')})")))
        outcome = run_tasks(["rollups", "shares"])
        assert outcome["rollups"] == {"status": "busy"}
        assert outcome["shares"]["status"] == "ok"
        other.rollback()
    assert run_tasks(["rollups"])["rollups"]["status"] == "ok"


def test_overlapping_runs_do_each_task_once(db, no_lag, monkeypatch):
    from lectern.core import upkeep as jobs

    course = uuid.uuid4()
    day = _days_ago(12)
    jobs.run_tasks(["rollups"])
    _record(db, [_event(day, uuid.uuid4(), course)])

    # Slow every task down so the two runs overlap on each of them.
    def slowed(fn):
        def run(session, state):
            time.sleep(0.3)
            return fn(session, state)

        return run

    for name, fn in list(jobs.tasks().items()):
        monkeypatch.setitem(jobs.tasks(), name, slowed(fn))
    barrier = threading.Barrier(2)

    def run():
        barrier.wait()
        return jobs.run_tasks()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(lambda _: run(), range(2)))

    hourly = jobs.scheduled()
    assert all(set(o) == set(hourly) for o in outcomes)
    statuses = Counter(o[name]["status"] for o in outcomes for name in hourly)
    assert statuses["failed"] == 0 and statuses["busy"] >= 1
    for name in hourly:
        assert "ok" in {o[name]["status"] for o in outcomes}, name
    rolled = [
        d
        for o in outcomes
        if o["rollups"]["status"] == "ok"
        for d in o["rollups"]["details"]["days"]
    ]
    assert rolled.count(day.isoformat()) == 1
    assert _course_events(db, course, day) == 1


def test_the_handler_runs_every_task_and_returns_a_summary(db):
    from lectern.core.upkeep import scheduled
    from local.events import LambdaContext
    from local.functions import load_module

    handler = load_module("aggregate", "handler.py").handler
    summary = handler({}, LambdaContext())
    assert summary["status"] == "ok" and summary["failed"] == []
    # Every hourly task; the daily backup tasks belong to the backup function.
    assert list(summary["tasks"]) == scheduled("aggregate")
    assert "backup" not in summary["tasks"]
    assert {o["status"] for o in summary["tasks"].values()} == {"ok"}
    assert all(_state(db, name).last_status == "ok" for name in scheduled("aggregate"))

    only = handler({"tasks": ["shares", "sessions"]}, LambdaContext())
    assert list(only["tasks"]) == ["shares", "sessions"]
    with pytest.raises(ValueError, match="tasks"):
        handler({"tasks": "rollups"}, LambdaContext())


# --- partitions and retention -----------------------------------------------------------


def test_partitions_are_made_ahead_and_retention_drops_old_months_only(db, settings_env):
    from lectern.analytics.models import DailyEventCount, EventType
    from lectern.analytics.partitions import (
        ensure_partitions,
        list_partitions,
        month_start,
        next_month,
        partition_name,
    )
    from lectern.core.upkeep import run_tasks
    from tests.conftest import reset_clients

    settings_env.setenv("LECTERN_ANALYTICS_PARTITIONS_AHEAD", "4")
    reset_clients()
    this_month = month_start(datetime.now(UTC).date())
    months = [this_month]
    for _ in range(4):
        months.append(next_month(months[-1]))
    made = run_tasks(["partitions"])["partitions"]
    assert made["status"] == "ok"
    names = {p.name for p in list_partitions(db.connection())}
    assert {partition_name(m) for m in months} <= names
    assert run_tasks(["partitions"])["partitions"]["details"]["made"] == []

    # An old month with events and its (small) rollups; and this month's events.
    ensure_partitions(db.connection(), date(2021, 3, 1), date(2021, 3, 1))
    _record(db, [_event(date(2021, 3, 5)), _event(datetime.now(UTC).date())])
    db.add(
        DailyEventCount(day=date(2021, 3, 5), event_type=EventType.share_opened, events=1, users=0)
    )
    db.commit()
    db.close()

    outcome = run_tasks(["retention"])["retention"]
    assert outcome["status"] == "ok"
    assert "events_p202103" in outcome["details"]["dropped"]
    names = {p.name for p in list_partitions(db.connection())}
    assert "events_p202103" not in names
    assert {partition_name(m) for m in months} <= names
    cutoff = datetime.now(UTC) - timedelta(days=90)
    assert all(p.ends > cutoff for p in list_partitions(db.connection()))
    # The month that holds the cutoff stays whole, though part of it is older.
    assert partition_name(month_start(cutoff.date())) in names
    assert db.get(DailyEventCount, (date(2021, 3, 5), EventType.share_opened)) is not None
    db.rollback()


def test_rollups_leave_days_beyond_retention_alone(db, no_lag):
    """A late event for a month retention dropped re-creates its partition; recomputing
    that day from it alone would wipe the day's rollups, so the day is skipped."""
    from lectern.analytics.models import DailyEventCount, EventType
    from lectern.core.upkeep import run_tasks

    old = date(2021, 6, 9)
    run_tasks(["rollups"])
    db.add(DailyEventCount(day=old, event_type=EventType.lesson_viewed, events=500, users=40))
    db.commit()
    _record(db, [_event(old, uuid.uuid4())])
    outcome = run_tasks(["rollups"])["rollups"]
    assert old.isoformat() in outcome["details"]["skipped_days"]
    assert old.isoformat() not in outcome["details"]["days"]
    db.expire_all()
    kept = db.get(DailyEventCount, (old, EventType.lesson_viewed))
    assert (kept.events, kept.users) == (500, 40)


# --- question stats ---------------------------------------------------------------------


def _answer(learner, exam_id, body) -> None:
    from lectern.assessment.exams import answer
    from lectern.assessment.schemas import ExamAnswerIn
    from lectern.db.engine import get_sessionmaker

    with get_sessionmaker()() as session:
        answer(session, learner.principal, exam_id, ExamAnswerIn.model_validate(body))


def _exam(learner, size: int, topic: str):
    from lectern.assessment.exams import create_exam
    from lectern.assessment.schemas import ExamIn
    from lectern.db.engine import get_sessionmaker

    with get_sessionmaker()() as session:
        return create_exam(
            session, learner.principal, ExamIn(size=size, mode="practice", topic=topic)
        )


def _truth(db, qids) -> dict:
    rows = db.execute(
        text(
            "SELECT question_id, count(*), count(*) FILTER (WHERE is_correct) "
            "FROM exam_answers WHERE question_id = ANY(:ids) GROUP BY question_id"
        ),
        {"ids": qids},
    )
    found = {r[0]: (r[1], r[2]) for r in rows}
    return {q: found.get(q, (0, 0)) for q in qids}


def _stats(db, qids) -> dict:
    from lectern.assessment.models import QuestionStats

    db.expire_all()
    rows = db.scalars(select(QuestionStats).where(QuestionStats.question_id.in_(qids)))
    return {r.question_id: (r.answered, r.correct) for r in rows}


def test_question_stats_drift_is_repaired(db, no_lag, monkeypatch):
    from lectern.assessment import upkeep as assessment_upkeep
    from lectern.assessment.models import QuestionStats
    from lectern.core.upkeep import run_tasks

    run_tasks(["question_stats"])
    monkeypatch.setattr(assessment_upkeep, "QUESTION_BATCH", 2)  # more than one batch
    topic = unique("stats")
    author = make_account(db, "instructor")
    qids = make_bank(db, author, 3, topic=topic)
    learners = [new_account() for _ in range(2)]
    for i, learner in enumerate(learners):
        exam = _exam(learner, 3, topic)
        for j, qid in enumerate(qids):
            body = right_answer(db, qid) if (i + j) % 2 else wrong_answer(db, qid)
            _answer(learner, exam.id, body)
    truth = _truth(db, qids)
    assert _stats(db, qids) == truth

    # Corrupt one question's shard 0, lose another's shards, and give the third a stray one.
    db.execute(
        text(
            "UPDATE question_stat_shards SET answered = 999, correct = 0"
            " WHERE question_id = :q AND shard = 0"
        ),
        {"q": qids[0]},
    )
    db.execute(text("DELETE FROM question_stat_shards WHERE question_id = :q"), {"q": qids[1]})
    db.execute(
        text(
            "INSERT INTO question_stat_shards (question_id, shard, answered, correct)"
            " VALUES (:q, 15, 5, 5) ON CONFLICT (question_id, shard)"
            " DO UPDATE SET answered = question_stat_shards.answered + 5,"
            " correct = question_stat_shards.correct + 5"
        ),
        {"q": qids[2]},
    )
    db.commit()
    outcome = run_tasks(["question_stats"])["question_stats"]
    assert outcome["status"] == "ok"
    assert outcome["details"]["questions"] >= 3 and outcome["details"]["repaired"] >= 3
    assert _stats(db, qids) == truth
    assert db.get(QuestionStats, qids[1]) is not None
    # Nothing answered since: the next run reads nothing.
    assert run_tasks(["question_stats"])["question_stats"]["details"]["questions"] == 0


def _learner_whose_shard(wanted) -> object:
    """A new learner whose shard of the question counters ``wanted(shard)`` accepts."""
    from lectern.assessment.models import stat_shard

    while True:
        account = new_account()
        if wanted(stat_shard(account.id)):
            return account


def _one_question_answered(db, shard: str):
    """A question answered once, and a second learner with an exam of it whose shard of
    the question's counters exists already (``shard="held"``: the first answer's) or
    not yet (``"new"``)."""
    from lectern.assessment.models import stat_shard

    topic = unique("race")
    author = make_account(db, "instructor")
    [qid] = make_bank(db, author, 1, topic=topic)
    first = _learner_whose_shard(lambda s: s != 0)
    taken = {0, stat_shard(first.id)}
    second = _learner_whose_shard(
        (lambda s: s == stat_shard(first.id)) if shard == "held" else (lambda s: s not in taken)
    )
    exams = [_exam(a, 1, topic).id for a in (first, second)]
    _answer(first, exams[0], right_answer(db, qid))
    return qid, second, exams[1]


def _blocked(future, seconds: float = 0.5) -> bool:
    time.sleep(seconds)
    return not future.done()


@pytest.mark.parametrize("shard", ["held", "new"])
def test_a_refresh_during_an_answer_that_is_counting_loses_nothing(db, no_lag, shard):
    """The answer's +1 is done, not committed, when the refresh starts. In a shard that
    existed, the +1 holds it: the refresh waits for the commit, then counts the answer
    too. In a new shard, the refresh sees neither the answer nor its +1 and goes on."""
    from lectern.assessment.exams import answer
    from lectern.assessment.schemas import ExamAnswerIn
    from lectern.core.upkeep import run_tasks
    from lectern.db.engine import get_sessionmaker

    qid, learner, exam_id = _one_question_answered(db, shard)
    db.execute(
        text("UPDATE question_stat_shards SET answered = 7 WHERE question_id = :q AND shard = 0"),
        {"q": qid},
    )  # drift, so the refresh writes
    db.commit()
    counted, go = threading.Event(), threading.Event()

    def answer_paused_before_commit() -> None:
        with get_sessionmaker()() as session:
            commit = session.commit

            def paused_commit() -> None:
                counted.set()  # answer inserted, +1 done: its shard row is locked
                go.wait(10)
                commit()

            session.commit = paused_commit  # type: ignore[method-assign]
            body = ExamAnswerIn.model_validate(wrong_answer(db, qid))
            answer(session, learner.principal, exam_id, body)

    with ThreadPoolExecutor(max_workers=2) as pool:
        live = pool.submit(answer_paused_before_commit)
        assert counted.wait(10)
        refresh = pool.submit(run_tasks, ["question_stats"])
        if shard == "held":
            assert _blocked(refresh)
        else:
            assert refresh.result(10)["question_stats"]["status"] == "ok"  # did not wait
        go.set()
        live.result(10)
        assert refresh.result(10)["question_stats"]["status"] == "ok"
    assert _stats(db, [qid]) == _truth(db, [qid]) == {qid: (2, 1)}


@pytest.mark.parametrize("shard", ["held", "new"])
def test_an_answer_arriving_during_a_refresh_loses_nothing(db, no_lag, shard):
    """The refresh holds the question's shards when an answer arrives. In one of those,
    the answer's +1 waits, then adds to the recounted value; in a new shard it goes
    ahead, and the refresh, which never counted it, leaves it be."""
    from lectern.assessment.upkeep import question_stats_task
    from lectern.core.upkeep import Run
    from lectern.db.engine import get_sessionmaker

    qid, learner, exam_id = _one_question_answered(db, shard)
    db.execute(
        text("UPDATE question_stat_shards SET answered = 7 WHERE question_id = :q AND shard = 0"),
        {"q": qid},
    )  # drift the refresh will repair
    db.commit()
    with get_sessionmaker()() as refresh, ThreadPoolExecutor(max_workers=1) as pool:
        now = refresh.scalar(text("SELECT now()"))
        question_stats_task(refresh, Run(now=now, watermark=now - timedelta(minutes=5)))
        live = pool.submit(_answer, learner, exam_id, right_answer(db, qid))
        if shard == "held":
            assert _blocked(live)
        else:
            live.result(10)  # did not wait
        refresh.commit()
        live.result(10)
    assert _stats(db, [qid]) == _truth(db, [qid]) == {qid: (2, 2)}


# --- leaderboards, shares, sessions -----------------------------------------------------


def test_leaderboard_refresh_adds_missing_members_and_removes_deleted_users(
    db, no_lag, own_kv_prefix, monkeypatch
):
    from lectern.core.upkeep import run_tasks
    from lectern.identity.service import delete_me
    from lectern.kv.factory import get_kv
    from lectern.progress import upkeep as progress_upkeep
    from lectern.progress.leaderboards import Period, board_key
    from lectern.progress.xp import award_xp

    run_tasks(["leaderboards"])
    monkeypatch.setattr(
        progress_upkeep, "PROFILE_BATCH", 1
    )  # one page per profile: paging is exercised
    missing, leaving = make_account(db), make_account(db)
    for account, amount in ((missing, 70), (leaving, 90)):
        # Awarded but never published: the KV store was down, say.
        award_xp(db, account.id, reason="test", source_id=uuid.uuid4(), amount=amount)
    db.commit()
    kv = get_kv()
    all_time, weekly = board_key(Period.all_time), board_key(Period.weekly)
    assert kv.zscore(all_time, str(missing.id)) is None

    delete_me(db, leaving.principal)
    # A copy written after the deletion (a publish racing it) leaves a ghost behind.
    kv.zadd(all_time, {str(leaving.id): 90})
    kv.zadd(weekly, {str(leaving.id): 90})
    # A newer award already on the board is never lowered by a refresh (ZADD GT).
    kv.zadd(weekly, {str(missing.id): 500})

    outcome = run_tasks(["leaderboards"])["leaderboards"]
    assert outcome["status"] == "ok"
    assert outcome["details"]["published"] >= 1 and outcome["details"]["removed"] >= 1
    assert float(kv.zscore(all_time, str(missing.id))) == 70
    assert float(kv.zscore(weekly, str(missing.id))) == 500
    assert kv.zscore(all_time, str(leaving.id)) is None
    assert kv.zscore(weekly, str(leaving.id)) is None
    assert kv.ttl(weekly) > 0


def test_expired_and_revoked_shares_are_deleted_after_the_grace_period(db):
    from lectern.core.upkeep import run_tasks
    from lectern.sharing.models import Share, ShareEntity

    owner = make_account(db)
    now = datetime.now(UTC)

    def share(**kw):
        row = Share(
            owner_id=owner.id,
            entity_type=ShareEntity.course,
            entity_id=uuid.uuid4(),
            token_hash=uuid.uuid4().hex,
            **kw,
        )
        db.add(row)
        return row

    old_expired = share(expires_at=now - timedelta(days=31))
    old_revoked = share(expires_at=now + timedelta(days=5), revoked_at=now - timedelta(days=40))
    recently_expired = share(expires_at=now - timedelta(days=2))
    recently_revoked = share(revoked_at=now - timedelta(days=1))
    live = share(expires_at=now + timedelta(days=7))
    forever = share()
    db.commit()
    ids = {
        s.id: s
        for s in (old_expired, old_revoked, recently_expired, recently_revoked, live, forever)
    }

    outcome = run_tasks(["shares"])["shares"]
    assert outcome["status"] == "ok" and outcome["details"]["deleted"] >= 2
    left = set(db.scalars(select(Share.id).where(Share.id.in_(ids))))
    assert left == {recently_expired.id, recently_revoked.id, live.id, forever.id}


def test_sessions_task_prunes_expired_members_of_every_index(own_kv_prefix):
    from lectern.core.principal import UserRole
    from lectern.core.upkeep import run_tasks
    from lectern.identity.sessions import create_session, resolve_session
    from lectern.kv.factory import get_kv
    from lectern.kv.port import key

    kv = get_kv()
    now = int(time.time())
    indexes = [key("user-sessions", str(uuid.uuid4())) for _ in range(25)]
    for i, index in enumerate(indexes):
        kv.zadd(index, {f"gone-{i}": now - 60, f"older-{i}": now - 3600})
        if i % 5 == 0:
            kv.zadd(index, {f"live-{i}": now + 3600})
    user = uuid.uuid4()
    issued = create_session(user, UserRole.student)
    # A key of another type under the pattern (an older format) fails nothing.
    legacy = key("user-sessions", str(uuid.uuid4()))
    kv.sadd(legacy, "old-session")

    outcome = run_tasks(["sessions"])["sessions"]
    assert outcome["status"] == "ok"
    assert outcome["details"] == {"indexes": 26, "pruned": 50, "skipped": 1}
    assert kv.smembers(legacy) == ["old-session"]
    for i, index in enumerate(indexes):
        left = kv.zrange(index, 0, -1)
        assert left == ([f"live-{i}"] if i % 5 == 0 else [])
    assert kv.exists(indexes[1]) == 0  # an emptied index is gone altogether
    assert resolve_session(issued.token) is not None  # live sessions are untouched


def test_uploads_never_completed_are_deleted_with_their_objects(db):
    from botocore.exceptions import ClientError

    from lectern.config import get_settings
    from lectern.core.upkeep import run_tasks
    from lectern.documents.models import Document, DocumentStatus
    from lectern.storage.factory import get_storage

    owner = make_account(db)
    bucket = get_settings().storage.bucket

    def document(status, age_hours):
        key = f"documents/{owner.id}/{uuid.uuid4()}"
        get_storage().client.put_object(Bucket=bucket, Key=key, Body=b"notes")
        row = Document(
            owner_id=owner.id,
            filename="notes.txt",
            content_type="text/plain",
            size_bytes=5,
            object_key=key,
            status=status,
            created_at=datetime.now(UTC) - timedelta(hours=age_hours),
        )
        db.add(row)
        return row

    abandoned = document(DocumentStatus.pending, 30)
    uploading = document(DocumentStatus.pending, 1)
    old_but_completed = document(DocumentStatus.processing, 30)
    db.commit()

    outcome = run_tasks(["uploads"])["uploads"]
    assert outcome["status"] == "ok" and outcome["details"]["deleted"] >= 1
    left = set(
        db.scalars(
            select(Document.id).where(
                Document.id.in_([abandoned.id, uploading.id, old_but_completed.id])
            )
        )
    )
    assert left == {uploading.id, old_but_completed.id}
    with pytest.raises(ClientError):
        get_storage().client.head_object(Bucket=bucket, Key=abandoned.object_key)
    get_storage().client.head_object(Bucket=bucket, Key=uploading.object_key)


def test_outbox_rows_that_kept_failing_are_deleted_after_the_keep_period(db):
    from lectern.core.models import OutboxEntry
    from lectern.core.outbox import MAX_ATTEMPTS
    from lectern.core.upkeep import run_tasks

    long_ago = datetime.now(UTC) - timedelta(days=20)

    def row(attempts, created_at):
        entry = OutboxEntry(
            topic="search",
            entity_type="course",
            entity_id=uuid.uuid4(),
            attempts=attempts,
            created_at=created_at,
            available_at=datetime.now(UTC) + timedelta(days=1),  # out of the drain's way
        )
        db.add(entry)
        return entry

    old_poison = row(MAX_ATTEMPTS, long_ago)
    recent_poison = row(MAX_ATTEMPTS, datetime.now(UTC))
    old_but_retrying = row(2, long_ago)
    db.commit()

    outcome = run_tasks(["outbox"])["outbox"]
    assert outcome["status"] == "ok" and outcome["details"]["deleted"] >= 1
    ids = [old_poison.id, recent_poison.id, old_but_retrying.id]
    left = set(db.scalars(select(OutboxEntry.id).where(OutboxEntry.id.in_(ids))))
    assert left == {recent_poison.id, old_but_retrying.id}
    db.execute(sa_delete(OutboxEntry).where(OutboxEntry.id.in_(ids)))  # leave no work behind
    db.commit()
