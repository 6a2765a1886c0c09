"""Learner activity, told to whichever contexts registered for it.

The code that records learning (XP paid, an exam answer, a lesson or a course completed)
calls ``record`` in its own transaction with what happened; every ``ActivityHook`` a
context registered for those kinds runs there too, so what the hooks write (a
challenge's score, a badge) commits or rolls back with the work it counts. Producers
never name the contexts that listen: a new metric is a new hook, not an edit of
progress or assessment.

All the hooks of one call run in one statement (each is a SQL function; see
``ActivityHook``): the answer path, one database call before, gains one, however many
contexts listen.

Each activity names the event it comes from (``source_id``: the lesson, the answer, the
XP ledger's source). Hooks key what they write by it, so a retried request, which
reports the same activity again, counts once.

``after_commit`` queues work for after the commit (a leaderboard copy in Upstash): it
runs once the session commits, and is dropped if it rolls back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

from lectern.core.registry import ActivityHook, get_registry, resolve

XP = "xp"
CORRECT_ANSWER = "correct_answer"
LESSON_COMPLETED = "lesson_completed"
COURSE_COMPLETED = "course_completed"
CHALLENGE_COMPLETED = "challenge_completed"

_PENDING = "lectern.after_commit"
_ARGUMENTS = (
    "CAST(:kinds AS text[]), CAST(:users AS uuid[]), CAST(:sources AS uuid[]),"
    " CAST(:amounts AS integer[]), CAST(:ats AS timestamptz[]), CAST(:courses AS uuid[]),"
    " CAST(:subjects AS uuid[]), CAST(:xp AS integer[]), CAST(:streaks AS integer[])"
)


@dataclass(frozen=True)
class Activity:
    kind: str
    user_id: uuid.UUID
    # The event this activity is, once: a retry reports the same one.
    source_id: uuid.UUID
    amount: int = 1
    at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # The course it happened in, when the producer knows it.
    course_id: uuid.UUID | None = None
    # What it was about (the question answered, the lesson completed), for hooks that
    # scope by it.
    subject_id: uuid.UUID | None = None
    # The learner's totals after it, when it paid XP.
    xp_total: int | None = None
    streak_days: int | None = None


Then = Callable[[Session, list[dict[str, Any]]], None]


# Built once per process: the registry does not change while it runs.
_THENS: dict[str, Then] = {}
_STATEMENTS: dict[tuple[str, ...], TextClause] = {}


def _then(reference: str) -> Then:
    if reference not in _THENS:
        _THENS[reference] = resolve(reference)
    return _THENS[reference]


def _statement(functions: tuple[str, ...]) -> TextClause:
    if functions not in _STATEMENTS:
        # The names are checked identifiers (ActivityHook), not input.
        calls = ", ".join(f"{n}({_ARGUMENTS}) AS h{i}" for i, n in enumerate(functions))
        _STATEMENTS[functions] = text(f"SELECT {calls}")
    return _STATEMENTS[functions]


def _arrays(activities: list[Activity]) -> dict[str, Any]:
    return {
        "kinds": [a.kind for a in activities],
        "users": [a.user_id for a in activities],
        "sources": [a.source_id for a in activities],
        "amounts": [a.amount for a in activities],
        "ats": [a.at for a in activities],
        "courses": [a.course_id for a in activities],
        "subjects": [a.subject_id for a in activities],
        "xp": [a.xp_total for a in activities],
        "streaks": [a.streak_days for a in activities],
    }


def record(db: Session, activities: Iterable[Activity]) -> None:
    """Tell every hook registered for their kinds, in the caller's transaction (which the
    caller commits): one statement for them all. A hook's ``then`` may record further
    activity (a challenge completed)."""
    told = list(activities)
    kinds = {a.kind for a in told}
    hooks: list[ActivityHook] = [
        h for h in get_registry().activity_hooks if kinds.intersection(h.kinds)
    ]
    if not hooks:
        return
    db.flush()  # the caller's pending writes go first, as an ORM statement would send them
    row = db.execute(_statement(tuple(h.function for h in hooks)), _arrays(told)).one()
    for hook, results in zip(hooks, row, strict=True):
        if results and hook.then:
            _then(hook.then)(db, list(results))


def _run_pending(db: Session) -> None:
    pending: list[Callable[[], Any]] = db.info.pop(_PENDING, [])
    for fn in pending:
        fn()


def _drop_pending(db: Session) -> None:
    db.info.pop(_PENDING, None)


def after_commit(db: Session, fn: Callable[[], Any]) -> None:
    """Run ``fn`` once this session's transaction commits; forget it on a rollback.
    ``fn`` must not raise for an outside system that is down (it is best effort)."""
    if _PENDING not in db.info:
        db.info[_PENDING] = []
        if not event.contains(db, "after_commit", _run_pending):
            event.listen(db, "after_commit", _run_pending)
            event.listen(db, "after_rollback", _drop_pending)
    db.info[_PENDING].append(fn)
