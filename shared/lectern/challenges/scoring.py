"""The activity hook that advances challenge scores (``lectern.core.activity``).

One statement for all the activity one call recorded: each activity that falls in a
joined challenge's window, after the learner joined, of the challenge's metric (and
course, when it has one) becomes a credit keyed by (challenge, learner, kind, source
event), and only the credits inserted move the entry's score. So a replay counts
nothing, and concurrent activities of one learner queue on the entry's row and each adds
to the last: the score is exact. Reaching the target completes the entry once (the
statement that crosses it says so), which notifies the learner and is itself activity
(``challenge_completed``) for whoever listens, badges among them.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from lectern.challenges import boards
from lectern.core import activity
from lectern.core.activity import Activity
from lectern.notifications.service import notify

# Which kind of activity each metric counts.
KIND_OF_METRIC = {
    "xp": activity.XP,
    "correct_answers": activity.CORRECT_ANSWER,
    "lessons_completed": activity.LESSON_COMPLETED,
}

# A course-scoped challenge counts an answer (or its XP) by its question's course: the
# producer of an answer does not know it, the question does.
_CREDIT = text(
    """
WITH a AS (
    SELECT * FROM unnest(
        CAST(:kinds AS text[]), CAST(:users AS uuid[]), CAST(:sources AS uuid[]),
        CAST(:amounts AS integer[]), CAST(:ats AS timestamptz[]), CAST(:courses AS uuid[]),
        CAST(:subjects AS uuid[])
    ) AS a(kind, user_id, source_id, amount, at, course_id, subject_id)
), credited AS (
    INSERT INTO challenge_credits AS k
        (challenge_id, user_id, kind, source_id, amount, credited_at)
    SELECT e.challenge_id, e.user_id, a.kind, a.source_id, a.amount, a.at
    FROM a
    JOIN challenge_entries e ON e.user_id = a.user_id AND e.joined_at <= a.at
    JOIN challenges c ON c.id = e.challenge_id
    WHERE c.starts_at <= a.at AND a.at < c.ends_at
      AND c.metric = CASE a.kind WHEN 'xp' THEN 'xp'
                                 WHEN 'correct_answer' THEN 'correct_answers'
                                 WHEN 'lesson_completed' THEN 'lessons_completed' END
      AND (c.course_id IS NULL OR c.course_id = a.course_id
           OR (a.course_id IS NULL AND c.course_id =
               (SELECT q.course_id FROM questions q WHERE q.id = a.subject_id)))
    ON CONFLICT DO NOTHING
    RETURNING k.challenge_id, k.user_id, k.amount, k.credited_at
), sums AS (
    SELECT challenge_id, user_id, sum(amount)::integer AS amount, max(credited_at) AS at
    FROM credited GROUP BY challenge_id, user_id
)
UPDATE challenge_entries e SET
    score = e.score + s.amount,
    completed_at = CASE WHEN e.completed_at IS NULL AND e.score + s.amount >= c.target
                        THEN s.at ELSE e.completed_at END,
    updated_at = now()
FROM sums s, challenges c, profiles p
WHERE e.challenge_id = s.challenge_id AND e.user_id = s.user_id AND c.id = s.challenge_id
  AND p.user_id = e.user_id
RETURNING e.challenge_id, e.user_id, e.score, c.title, c.ends_at, p.leaderboard_visible,
          (e.score - s.amount < c.target AND e.score >= c.target) AS completed_now,
          e.completed_at
"""
)


def _arrays(activities: list[Activity]) -> dict[str, Any]:
    return {
        "kinds": [a.kind for a in activities],
        "users": [a.user_id for a in activities],
        "sources": [a.source_id for a in activities],
        "amounts": [a.amount for a in activities],
        "ats": [a.at for a in activities],
        "courses": [a.course_id for a in activities],
        "subjects": [a.subject_id for a in activities],
    }


def on_activity(db: Session, activities: list[Activity]) -> None:
    """Credit the activities to the learners' challenges, in the caller's transaction."""
    counted = [a for a in activities if a.amount > 0]
    if not counted:
        return
    rows = db.execute(_CREDIT, _arrays(counted)).all()
    if not rows:
        return
    scores = [
        boards.Score(r.challenge_id, r.user_id, r.score, r.ends_at)
        for r in rows
        if r.leaderboard_visible
    ]
    if scores:
        activity.after_commit(db, lambda: boards.publish(scores))
    done = [r for r in rows if r.completed_now]
    for row in done:
        _completed(db, row.challenge_id, row.user_id, row.title)
    if done:
        activity.record(
            db,
            [
                Activity(activity.CHALLENGE_COMPLETED, r.user_id, r.challenge_id, at=r.completed_at)
                for r in done
            ],
        )


def _completed(db: Session, challenge_id: uuid.UUID, user_id: uuid.UUID, title: str) -> None:
    notify(
        db,
        [user_id],
        "challenge_completed",
        title=f"Challenge completed: {title}",
        body="You reached the challenge's target.",
        link=f"/challenges/{challenge_id}",
    )
