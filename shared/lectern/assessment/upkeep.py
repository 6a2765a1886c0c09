"""Assessment upkeep: ``question_stats`` recounts the success counters of the questions
answered since the watermark from ``exam_answers``, repairing any drift in their shards.
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


# Shard 0 of questions answered but never counted (e.g. made before stats rows existed):
# the recount writes there.
_INSERT_MISSING = text(
    "INSERT INTO question_stat_shards (question_id, shard, answered, correct) "
    "SELECT id, 0, 0, 0 FROM questions WHERE id = ANY(:ids) ORDER BY id "
    "ON CONFLICT (question_id, shard) DO NOTHING"
).bindparams(_IDS)


_LOCK = text(
    "SELECT question_id, shard FROM question_stat_shards WHERE question_id = ANY(:ids) "
    "ORDER BY question_id, shard FOR UPDATE"
).bindparams(_IDS)


# One statement, so the truth and the shards it corrects are read from one snapshot.
# Every answer has its exam_questions row (foreign key), so the answers of a question are
# reached through ix_exam_questions_question_id and the (exam_id, question_id) key. A
# question that drifted gets zeros in the shards we locked but shard 0, and in shard 0
# the truth less what the shards made since the lock hold (those are not ours to write).
_RECOUNT = text(
    "WITH truth AS ("
    "  SELECT q.id AS question_id, count(a.id) AS answered,"
    "         count(a.id) FILTER (WHERE a.is_correct) AS correct"
    "  FROM unnest(CAST(:ids AS uuid[])) AS q(id)"
    "  LEFT JOIN exam_questions eq ON eq.question_id = q.id"
    "  LEFT JOIN exam_answers a ON a.exam_id = eq.exam_id AND a.question_id = eq.question_id"
    "  GROUP BY q.id),"
    " locked AS ("
    "  SELECT * FROM unnest(CAST(:locked_ids AS uuid[]), CAST(:locked_shards AS smallint[]))"
    "  AS l(question_id, shard)),"
    " held AS ("
    "  SELECT s.question_id, sum(s.answered) AS answered, sum(s.correct) AS correct,"
    "         coalesce(sum(s.answered) FILTER (WHERE l.shard IS NULL), 0) AS new_answered,"
    "         coalesce(sum(s.correct) FILTER (WHERE l.shard IS NULL), 0) AS new_correct"
    "  FROM question_stat_shards s"
    "  LEFT JOIN locked l ON l.question_id = s.question_id AND l.shard = s.shard"
    "  WHERE s.question_id = ANY(:ids) GROUP BY s.question_id),"
    " drifted AS ("
    "  SELECT t.question_id, t.answered - h.new_answered AS answered,"
    "         t.correct - h.new_correct AS correct"
    "  FROM truth t JOIN held h USING (question_id)"
    "  WHERE (h.answered, h.correct) IS DISTINCT FROM (t.answered, t.correct)),"
    " cleared AS ("
    "  UPDATE question_stat_shards s SET answered = 0, correct = 0 FROM drifted d, locked l"
    "  WHERE s.question_id = d.question_id AND l.question_id = s.question_id"
    "  AND l.shard = s.shard AND s.shard <> 0)"
    " UPDATE question_stat_shards s SET answered = d.answered, correct = d.correct"
    " FROM drifted d WHERE s.question_id = d.question_id AND s.shard = 0"
    " RETURNING s.question_id"
).bindparams(_IDS)


def question_stats_task(db: Session, run: Run) -> TaskResult:
    """Recount the questions answered in (watermark, now - lag] from ``exam_answers``.

    Live answers add +1 to their learner's shard of the question (an upsert, after
    inserting the answer, in their own transaction) while this runs. Locking the
    question's shards first, then recounting in one statement, loses none of them, at
    READ COMMITTED where each statement sees what committed before it:
    - an answer whose +1 holds a shard that exists: our FOR UPDATE waits for its commit,
      and the recount that follows sees its answer row;
    - an answer not yet counted when we hold the shards: its +1 waits on our lock and,
      after we commit, adds to the value we wrote (ON CONFLICT DO UPDATE re-reads the
      latest row version);
    - an answer whose +1 makes a shard that did not exist: that row is not ours, and we
      never write it. In our snapshot it holds exactly the +1s of the answers we count
      (a +1 commits with its answer), so shard 0 gets the truth less those, and what
      comes later adds to it.
    The shards stay locked until the task commits, so live answers to those questions
    wait that long; they are locked in (question, shard) order, as every answer locks
    just one.
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
        locked = db.execute(_LOCK, {"ids": list(batch)}).all()
        params = {
            "ids": list(batch),
            "locked_ids": [row.question_id for row in locked],
            "locked_shards": [row.shard for row in locked],
        }
        repaired += len(db.execute(_RECOUNT, params).all())
    return until, {"questions": len(ids), "repaired": repaired}
