"""Learner activity, told to whichever contexts registered for it.

The code that records learning (XP paid, an exam answer, a lesson or a course completed)
calls ``record`` in its own transaction with what happened; every ``ActivityHook`` a
context registered for that kind runs there too, so what the hooks write (a challenge's
score, a badge) commits or rolls back with the work it counts. Producers never name the
contexts that listen: a new metric is a new hook, not an edit of progress or assessment.

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
from functools import lru_cache
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from lectern.core.registry import get_registry, resolve

XP = "xp"
CORRECT_ANSWER = "correct_answer"
LESSON_COMPLETED = "lesson_completed"
COURSE_COMPLETED = "course_completed"
CHALLENGE_COMPLETED = "challenge_completed"

_PENDING = "lectern.after_commit"


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


@lru_cache(maxsize=64)
def _hook(reference: str) -> Callable[[Session, list[Activity]], None]:
    fn: Callable[[Session, list[Activity]], None] = resolve(reference)
    return fn


def record(db: Session, activities: Iterable[Activity]) -> None:
    """Tell every hook registered for their kinds, in the caller's transaction (which the
    caller commits). Hooks may record further activity (a challenge completed)."""
    told = list(activities)
    if not told:
        return
    for hook in get_registry().activity_hooks:
        batch = [a for a in told if a.kind in hook.kinds]
        if batch:
            _hook(hook.run)(db, batch)


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
