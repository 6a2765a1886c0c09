"""Drawing an exam's questions from the bank, never with ``ORDER BY random()``.

Every question carries a ``random_key`` uniform in [0, 1), indexed after the filter
columns: ``(topic, difficulty, random_key)``, ``(subject, ...)``, ``(system, ...)``,
``(difficulty, random_key)`` and ``(random_key)``. A draw picks a few random start
points and, in ONE statement, reads a short run of keys after each one
(``CROSS JOIN LATERAL (... AND random_key >= start ORDER BY random_key LIMIT run)``,
wrapping round to 0 at the end of the key range). Postgres walks the index from each
start, so the cost grows with the exam's size, not with the bank's.

When a topic, subject or system is given without a difficulty, the runs are spread over
the three difficulties so that each run still walks an index in key order (Postgres 16
cannot skip over the middle column). The exam then mixes difficulties evenly rather
than in the bank's proportions, which is what a mixed exam is meant to be.

The walk oversamples (several candidates per place) and, in the same statement, joins
on when the learner last drew each candidate (and, for adaptive exams, the question's
and the learner's topic counters): one round trip. Then, as Moodle's random question
loader prefers the least-used questions, unseen questions come first and seen ones by
how long ago the learner last drew them. Adaptive exams sample the unseen candidates by
weight: weaker topics and questions that about half of learners get right weigh more.
"""

from __future__ import annotations

import math
import random
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import Row, TextClause, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from lectern.assessment.models import Difficulty, QuestionExposure
from lectern.assessment.schemas import ExamCriteria

# Candidates drawn per place in the exam, before preferring unseen ones and weighing.
OVERSAMPLE = 4
MIN_CANDIDATES = 20
# Questions read after each random start: longer runs cost fewer index descents, shorter
# ones mix the bank better (neighbours in key order tend to be drawn together).
RUN_LENGTH = 4
# Runs over a matching set no bigger than the draw overlap by a third or more, over a
# set ten times bigger by a few percent: more than a quarter says "small set".
OVERLAP_SIGNAL = 0.25

# Adaptive weights. A topic's weakness is 1 - its accuracy, smoothed towards 0.5 so
# that an untried topic counts as middling and a couple of answers do not swing it.
PRIOR_CORRECT = 1
PRIOR_WRONG = 1
WEAKNESS_FLOOR = 0.05  # a mastered topic still turns up now and then
# Questions whose success rate lies in this band teach the most; their weight doubles
# once enough learners have answered them for the rate to mean something.
MIN_STATS_ANSWERS = 5
SWEET_SPOT = (0.4, 0.7)
SWEET_SPOT_FACTOR = 2.0

_FILTER_COLUMNS = ("topic", "subject", "system")

# A question tied to a course is drawn only once the course is published, or by its owner.
_ELIGIBLE = (
    "(q.course_id IS NULL OR EXISTS (SELECT 1 FROM courses c WHERE c.id = q.course_id"
    " AND (c.published_at IS NOT NULL OR c.owner_id = :user_id)))"
)


def spreads_difficulties(criteria: ExamCriteria) -> bool:
    """True when runs must be split per difficulty to walk a (column, difficulty,
    random_key) index in key order."""
    return criteria.difficulty is None and any(getattr(criteria, c) for c in _FILTER_COLUMNS)


def _where(criteria: ExamCriteria, difficulty_expr: str | None) -> tuple[str, dict[str, Any]]:
    clauses: list[str] = []
    params: dict[str, Any] = {}
    for column in _FILTER_COLUMNS:
        value = getattr(criteria, column)
        if value is not None:
            clauses.append(f"q.{column} = :{column}")
            params[column] = value
    if difficulty_expr is not None:
        clauses.append(f"q.difficulty = CAST({difficulty_expr} AS difficulty)")
    if criteria.difficulty is not None:
        params["difficulty"] = str(criteria.difficulty)
    clauses.append(_ELIGIBLE)
    return " AND ".join(clauses), params


# What a draw needs to know of each candidate, joined on in the same statement: when the
# learner last drew it, and for adaptive exams the question's and the topic's counters.
_ANNOTATIONS = """
    SELECT w.id, w.topic, e.last_seen_at{stats_columns}
    FROM {source}
    LEFT JOIN question_exposures e ON e.user_id = :user_id AND e.question_id = w.id{stats_joins}
"""
_STATS_COLUMNS = """,
           qs.answered AS q_answered, qs.correct AS q_correct,
           ts.answered AS t_answered, ts.correct AS t_correct"""
_STATS_JOINS = """
    LEFT JOIN question_stats qs ON qs.question_id = w.id
    LEFT JOIN learner_topic_stats ts ON ts.user_id = :user_id AND ts.topic = w.topic"""


def _annotated(source: str, adaptive: bool) -> str:
    return _ANNOTATIONS.format(
        source=source,
        stats_columns=_STATS_COLUMNS if adaptive else "",
        stats_joins=_STATS_JOINS if adaptive else "",
    )


def walk_statement(
    criteria: ExamCriteria,
    user_id: uuid.UUID,
    starts: Sequence[float],
    difficulties: Sequence[Difficulty] | None = None,
    *,
    run: int = RUN_LENGTH,
    adaptive: bool = False,
) -> tuple[TextClause, dict[str, Any]]:
    """The one statement that reads ``run`` questions after each start, with what the
    draw needs to know of them (the bench and tests EXPLAIN it). ``difficulties`` pairs
    a difficulty with each start when the criteria spread the runs over difficulties."""
    if difficulties is not None:
        starts_sql = (
            "unnest(CAST(:starts AS float8[]), CAST(:difficulties AS text[])) AS s(start, d)"
        )
        difficulty_expr: str | None = "s.d"
    else:
        starts_sql = "unnest(CAST(:starts AS float8[])) AS s(start)"
        difficulty_expr = ":difficulty" if criteria.difficulty is not None else None
    where, params = _where(criteria, difficulty_expr)
    # The second branch wraps round to 0; Append stops once LIMIT has its rows, so it
    # runs only for a start that lies past the last matching key.
    source = f"""{starts_sql}
    CROSS JOIN LATERAL (
        (SELECT q.id, q.topic, q.random_key FROM questions q
         WHERE {where} AND q.random_key >= s.start
         ORDER BY q.random_key LIMIT :run)
        UNION ALL
        (SELECT q.id, q.topic, q.random_key FROM questions q
         WHERE {where} AND q.random_key < s.start
         ORDER BY q.random_key LIMIT :run)
        LIMIT :run
    ) AS w"""  # noqa: S608 - only fixed column names are formatted in; values are bound
    params.update(starts=list(starts), run=run, user_id=user_id)
    if difficulties is not None:
        params["difficulties"] = [d.value for d in difficulties]
    return text(_annotated(source, adaptive)), params


def _complete_statement(
    criteria: ExamCriteria, user_id: uuid.UUID, limit: int, adaptive: bool
) -> TextClause:
    difficulty_expr = ":difficulty" if criteria.difficulty is not None else None
    where, params = _where(criteria, difficulty_expr)
    source = f"(SELECT q.id, q.topic FROM questions q WHERE {where} LIMIT :limit) AS w"  # noqa: S608
    return text(_annotated(source, adaptive)).bindparams(**params, user_id=user_id, limit=limit)


def _author_statement(
    criteria: ExamCriteria, user_id: uuid.UUID, author_id: uuid.UUID, start: float, limit: int
) -> TextClause:
    """Up to ``limit`` of one author's matching questions, in key order from a random
    start (wrapping round): a course quiz draws from its author's questions alone, a set
    one author writes, so its cost follows that author's bank (``ix_questions_owner_id_id``)
    rather than walking the whole bank's key index for their rows."""
    difficulty_expr = ":difficulty" if criteria.difficulty is not None else None
    where, params = _where(criteria, difficulty_expr)
    source = (
        "(SELECT q.id, q.topic FROM questions q"  # noqa: S608 - fixed columns only
        f" WHERE q.owner_id = :author_id AND {where}"
        " ORDER BY q.random_key < :start, q.random_key LIMIT :limit) AS w"
    )
    return text(_annotated(source, False)).bindparams(
        **params, user_id=user_id, author_id=author_id, start=start, limit=limit
    )


def topic_weight(answered: int, correct: int) -> float:
    """How much a topic needs practice: 1 - smoothed accuracy, never below the floor."""
    accuracy = (correct + PRIOR_CORRECT) / (answered + PRIOR_CORRECT + PRIOR_WRONG)
    return max(1.0 - accuracy, WEAKNESS_FLOOR)


def question_factor(answered: int, correct: int) -> float:
    """Questions about half of learners get right teach the most: they weigh double."""
    if answered < MIN_STATS_ANSWERS:
        return 1.0
    low, high = SWEET_SPOT
    return SWEET_SPOT_FACTOR if low <= correct / answered <= high else 1.0


@dataclass(frozen=True)
class Candidate:
    id: uuid.UUID
    topic: str
    last_seen_at: datetime | None
    weight: float  # adaptive exams sample by it; 1 otherwise


def _candidate(row: Row[Any], adaptive: bool) -> Candidate:
    weight = 1.0
    if adaptive:
        weight = topic_weight(row.t_answered or 0, row.t_correct or 0) * question_factor(
            row.q_answered or 0, row.q_correct or 0
        )
    return Candidate(id=row.id, topic=row.topic, last_seen_at=row.last_seen_at, weight=weight)


def draw_candidates(
    db: Session,
    user_id: uuid.UUID,
    criteria: ExamCriteria,
    size: int,
    rng: random.Random,
    *,
    adaptive: bool = False,
    author_id: uuid.UUID | None = None,
) -> list[Candidate]:
    """Distinct eligible questions matching ``criteria``, about ``OVERSAMPLE * size`` of
    them, or every match when the matching set is small."""
    want = max(OVERSAMPLE * size, MIN_CANDIDATES)
    if author_id is not None:
        rows = db.execute(_author_statement(criteria, user_id, author_id, rng.random(), want)).all()
        return [_candidate(row, False) for row in rows]
    starts = [rng.random() for _ in range(math.ceil(want / RUN_LENGTH))]
    difficulties: list[Difficulty] | None = None
    if spreads_difficulties(criteria):
        levels = list(Difficulty)
        offset = rng.randrange(len(levels))
        difficulties = [levels[(offset + i) % len(levels)] for i in range(len(starts))]
    stmt, params = walk_statement(criteria, user_id, starts, difficulties, adaptive=adaptive)
    rows = db.execute(stmt, params).all()
    found = {row.id: _candidate(row, adaptive) for row in rows}
    short_runs = len(starts) * RUN_LENGTH - len(rows)
    overlaps = len(rows) - len(found)
    if short_runs or overlaps > len(rows) * OVERLAP_SIGNAL:
        # Runs came back short (some difficulty has fewer matches than a run) or
        # overlapped a lot: the matching set may be no bigger than the draw. Read up to
        # want + 1 matches: if that is all of them, draw from the complete set, so that
        # unseen questions are never missed; if not, top the runs' candidates up.
        rest = db.execute(_complete_statement(criteria, user_id, want + 1, adaptive)).all()
        if len(rest) <= want:
            found = {row.id: _candidate(row, adaptive) for row in rest}
        else:
            for row in rest:
                if len(found) >= size:
                    break
                found.setdefault(row.id, _candidate(row, adaptive))
    return list(found.values())


def weighted_sample(candidates: Sequence[Candidate], k: int, rng: random.Random) -> list[Candidate]:
    """``k`` candidates without replacement, each drawn with probability in proportion
    to its weight (Efraimidis-Spirakis: the k largest of u^(1/w))."""
    keyed = sorted(candidates, key=lambda c: rng.random() ** (1.0 / c.weight), reverse=True)
    return keyed[:k]


def select_question_ids(
    db: Session,
    user_id: uuid.UUID,
    criteria: ExamCriteria,
    size: int,
    *,
    adaptive: bool = False,
    rng: random.Random | None = None,
    author_id: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """Up to ``size`` distinct eligible questions for ``user_id``'s next exam, in exam
    order: unseen ones first (by weight when adaptive), then the longest unseen. Reads
    only (one statement, two when the matching set is small); ``record_exposures``
    notes the draw. With ``author_id``, only that author's questions are drawn."""
    rng = rng or secrets.SystemRandom()
    candidates = draw_candidates(
        db, user_id, criteria, size, rng, adaptive=adaptive, author_id=author_id
    )
    unseen = [c for c in candidates if c.last_seen_at is None]
    seen = [c for c in candidates if c.last_seen_at is not None]
    seen.sort(key=attrgetter("last_seen_at"))
    if adaptive:
        picked = weighted_sample(unseen, size, rng)
    else:
        rng.shuffle(unseen)
        picked = unseen[:size]
    picked += seen[: size - len(picked)]
    rng.shuffle(picked)
    return [c.id for c in picked]


def record_exposures(
    db: Session, user_id: uuid.UUID, question_ids: Sequence[uuid.UUID], now: datetime
) -> None:
    """Note that the learner drew these questions now: one multi-row upsert."""
    if not question_ids:
        return
    # Sorted, so two exams drawn at once by one learner lock the rows in the same order.
    rows = [
        {"user_id": user_id, "question_id": qid, "last_seen_at": now}
        for qid in sorted(question_ids)
    ]
    stmt = insert(QuestionExposure).values(rows)
    db.execute(
        stmt.on_conflict_do_update(
            index_elements=[QuestionExposure.user_id, QuestionExposure.question_id],
            set_={"last_seen_at": stmt.excluded.last_seen_at},
        )
    )
