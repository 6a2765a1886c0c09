"""Assessment upkeep: ``question_stats`` recounts the success counters of the questions
answered since the watermark from ``exam_answers``, repairing any drift.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Session

from lectern.core.upkeep import Run, TaskResult, batches, since_clause

# Batches: question ids per recount, profiles per leaderboard pipeline, keys per SCAN page.
QUESTION_BATCH = 1000


_IDS = bindparam("ids", type_=ARRAY(UUID(as_uuid=True)))


# Rows for questions answered but never counted (e.g. made before stats rows existed).
_INSERT_MISSING = text(
    "INSERT INTO question_stats (question_id, answered, correct) "
    "SELECT id, 0, 0 FROM questions WHERE id = ANY(:ids) ORDER BY id "
    "ON CONFLICT (question_id) DO NOTHING"
).bindparams(_IDS)


_LOCK = text(
    "SELECT question_id FROM question_stats WHERE question_id = ANY(:ids) "
    "ORDER BY question_id FOR UPDATE"
).bindparams(_IDS)


# Every answer has its exam_questions row (foreign key), so the answers of a question are
# reached through ix_exam_questions_question_id and the (exam_id, question_id) key.
_RECOUNT = text(
    "UPDATE question_stats s SET answered = c.answered, correct = c.correct "
    "FROM (SELECT q.id AS question_id, count(a.id) AS answered, "
    "      count(a.id) FILTER (WHERE a.is_correct) AS correct "
    "      FROM unnest(CAST(:ids AS uuid[])) AS q(id) "
    "      LEFT JOIN exam_questions eq ON eq.question_id = q.id "
    "      LEFT JOIN exam_answers a "
    "        ON a.exam_id = eq.exam_id AND a.question_id = eq.question_id "
    "      GROUP BY q.id) c "
    "WHERE s.question_id = c.question_id "
    "AND (s.answered, s.correct) IS DISTINCT FROM (c.answered, c.correct) "
    "RETURNING s.question_id"
).bindparams(_IDS)


def question_stats_task(db: Session, run: Run) -> TaskResult:
    """Recount the questions answered in (watermark, now - lag] from ``exam_answers``.

    Live answers add +1 to ``question_stats`` (an upsert, after inserting the answer, in
    their own transaction) while this runs. Locking the rows first, then counting, loses
    none of them, at READ COMMITTED where each statement sees what committed before it:
    - an answer whose +1 already holds the row lock: our FOR UPDATE waits for its commit,
      and the recount that follows sees its answer row;
    - an answer not yet counted when we hold the lock: its answer row may be invisible
      to our recount, but its +1 waits on our lock and, after we commit, adds to the
      value we wrote (ON CONFLICT DO UPDATE re-reads the latest row version).
    The rows stay locked until the task commits, so live answers to those questions wait
    that long; rows are locked in question order, as every answer locks just one.
    """
    until = run.settled
    params: dict[str, Any] = {"until": until}
    since = since_clause("answered_at", run.watermark, params)
    ids = list(
        db.scalars(
            text(
                "SELECT DISTINCT question_id FROM exam_answers "  # noqa: S608 - fixed clauses
                f"WHERE answered_at <= :until {since}ORDER BY question_id"
            ),
            params,
        )
    )
    repaired = 0
    for batch in batches(ids, QUESTION_BATCH):
        db.execute(_INSERT_MISSING, {"ids": list(batch)})
        db.execute(_LOCK, {"ids": list(batch)}).all()
        repaired += len(db.execute(_RECOUNT, {"ids": list(batch)}).all())
    return until, {"questions": len(ids), "repaired": repaired}
