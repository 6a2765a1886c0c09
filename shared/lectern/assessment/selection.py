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

The walk reads somewhat more candidates than places and, in the same statement, joins
on when the learner last drew each candidate (and, for adaptive exams, the question's
and the learner's topic counters) and puts them in draw order: as Moodle's random
question loader prefers the least-used questions, unseen questions come first (in a
random order: a hash of the id, seeded by the draw) and seen ones by how long ago the
learner last drew them. For adaptive exams the unseen ones are sampled by weight in the
statement too (weaker topics, and questions that about half of learners get right,
weigh more). Only what the exam takes comes back: ``size`` ids. One round trip.

A walk costs its descents whatever the bank; an ORDER BY random() costs the rows it
visits: the matches of the best index, before the filters that index cannot serve (a
topic, system and difficulty visit every question of the topic and difficulty). So the
plan follows those as the planner estimates them from the table's statistics (kept per
container for a few minutes): a whole read when it would visit up to ``DIRECT_MAX``
rows, which costs what sorting them does and misses no unseen one, or when the set is
too small to walk without overlapping itself; otherwise a walk.
"""

from __future__ import annotations

import functools
import math
import random
import secrets
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from lectern.assessment.models import Difficulty, QuestionExposure
from lectern.assessment.schemas import ExamCriteria

# Candidates drawn per place in the exam, before preferring unseen ones and weighing;
# a plain exam first walks only a little more than its size. An adaptive exam weighs
# three candidates per place: a choice for its weights, a quarter less to read than four.
OVERSAMPLE = 4
ADAPTIVE_OVERSAMPLE = 3
FIRST_OVERSAMPLE = 1.25
MIN_CANDIDATES = 20
# Questions read after each random start: longer runs cost fewer index descents, shorter
# ones mix the bank better (neighbours in key order tend to be drawn together).
RUN_LENGTH = 4
# Runs over a matching set no bigger than the draw overlap by a third or more, over a
# set ten times bigger by a few percent: more than a quarter says "small set".
OVERLAP_SIGNAL = 0.25
# Matching sets up to this many questions (the planner's estimate) are read whole and
# sorted: cheaper than a walk's descents, and exact about what is unseen. The whole read
# stops after DIRECT_READ questions, should the estimate be far too low.
DIRECT_MAX = 1000
DIRECT_READ = 4 * DIRECT_MAX
# A walk wants a set at least this many times the candidates it draws: runs over a
# smaller one overlap too much.
WALK_MIN_SHARE = 2
ESTIMATE_TTL_SECONDS = 600

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


def _filters(criteria: ExamCriteria) -> tuple[str, dict[str, Any]]:
    """The criteria alone (no eligibility), as a WHERE clause over ``questions q``."""
    clauses, params = [], {}
    for column in _FILTER_COLUMNS:
        value = getattr(criteria, column)
        if value is not None:
            clauses.append(f"q.{column} = :{column}")
            params[column] = value
    if criteria.difficulty is not None:
        clauses.append("q.difficulty = CAST(:difficulty AS difficulty)")
        params["difficulty"] = str(criteria.difficulty)
    return " AND ".join(clauses) or "true", params


# What a draw needs to know of each candidate, joined on in the same statement: when the
# learner last drew it, and for adaptive exams the question's and the topic's counters.
# The candidates come back in draw order, only as many as the exam takes: unseen ones
# first, then seen ones, longest unseen first. Unseen ones go in a random order (a seeded
# hash of the id), or for adaptive exams by weight, taking the difficulties in turn when
# they are mixed. By weight (Efraimidis-Spirakis: the largest ln(u) / weight, u the hash in
# (0, 1), is a weighted sample without replacement). When asked, each row also carries
# how many distinct candidates were found, counted before the LIMIT, so the caller can
# tell a short walk without reading the rest.
_DRAW = """
    WITH found AS ({found})
    SELECT c.id, e.last_seen_at{count}
    FROM found c
    LEFT JOIN question_exposures e ON e.user_id = :user_id AND e.question_id = c.id{stats_joins}
    ORDER BY e.last_seen_at NULLS FIRST{turns}, {key}
    LIMIT :limit
"""
_COUNT = ", count(*) OVER () AS found_count"
_TURNS = """,
        row_number() OVER (PARTITION BY c.difficulty, e.last_seen_at IS NULL ORDER BY {key})"""
_STATS_JOINS = """
    LEFT JOIN LATERAL (SELECT sum(s.answered) AS answered, sum(s.correct) AS correct
                       FROM question_stat_shards s WHERE s.question_id = c.id) qs ON true
    LEFT JOIN learner_topic_stats ts ON ts.user_id = :user_id AND ts.topic = c.topic"""
_HASH_KEY = "uuid_hash_extended(c.id, :seed)"
# A candidate's weight: its topic's weakness for the learner, doubled in the sweet spot.
_WEIGHT = f"""(GREATEST(1.0 - (COALESCE(ts.correct, 0) + {PRIOR_CORRECT})::float8
                       / (COALESCE(ts.answered, 0) + {PRIOR_CORRECT + PRIOR_WRONG}),
                   {WEAKNESS_FLOOR})
          * CASE WHEN qs.answered >= {MIN_STATS_ANSWERS}
                      AND qs.correct::float8 / qs.answered
                          BETWEEN {SWEET_SPOT[0]} AND {SWEET_SPOT[1]}
                 THEN CAST({SWEET_SPOT_FACTOR} AS float8) ELSE 1.0 END)"""
# u in (0, 1) from the 64-bit hash; the floor keeps ln() off zero. In float8: the
# literal alone would make it numeric arithmetic, twice as slow over a draw's candidates.
_WEIGHTED_KEY = f"""ln(GREATEST(CAST({_HASH_KEY} AS float8) / 18446744073709551616.0 + 0.5, 1e-12))
          / {_WEIGHT} DESC"""


@functools.lru_cache(maxsize=256)
def _text(sql: str) -> TextClause:
    """The statement for this SQL, made once (a draw's SQL is one of a few shapes) and
    without its layout: the driver scans every character of it on every call."""
    return text(" ".join(sql.split()))


def _draw(
    found: str,
    params: dict[str, Any],
    *,
    adaptive: bool,
    mixed: bool,
    limit: int,
    count: bool,
) -> tuple[TextClause, dict[str, Any]]:
    """The first ``limit`` of the candidates ``found`` selects (``id``, and ``topic`` when
    adaptive and ``difficulty`` when mixed) in draw order, with their count if asked."""
    key = _WEIGHTED_KEY if adaptive else _HASH_KEY
    sql = _DRAW.format(
        found=found,
        count=_COUNT if count else "",
        stats_joins=_STATS_JOINS if adaptive else "",
        turns=_TURNS.format(key=key) if mixed else "",
        key=key,
    )
    params["limit"] = limit
    return _text(sql), params


def _found_columns(prefix: str, *, adaptive: bool, mixed: bool) -> str:
    return (f", {prefix}.topic" if adaptive else "") + (f", {prefix}.difficulty" if mixed else "")


def walk_statement(
    criteria: ExamCriteria,
    user_id: uuid.UUID,
    starts: Sequence[float],
    difficulties: Sequence[Difficulty] | None = None,
    *,
    run: int = RUN_LENGTH,
    adaptive: bool = False,
    limit: int | None = None,
    count: bool = True,
    seed: int = 0,
) -> tuple[TextClause, dict[str, Any]]:
    """The one statement that reads ``run`` questions after each start and returns them,
    distinct, in draw order (``limit`` of them, all by default), each row with how many
    were found unless ``count`` is false (the bench and tests EXPLAIN it).
    ``difficulties`` pairs a difficulty with each start when the criteria spread the
    runs over difficulties."""
    if difficulties is not None:
        starts_sql = (
            "unnest(CAST(:starts AS float8[]), CAST(:difficulties AS text[])) AS s(start, d)"
        )
        difficulty_expr: str | None = "s.d"
    else:
        starts_sql = "unnest(CAST(:starts AS float8[])) AS s(start)"
        difficulty_expr = ":difficulty" if criteria.difficulty is not None else None
    where, params = _where(criteria, difficulty_expr)
    mixed = difficulties is not None
    # The second branch wraps round to 0; Append stops once LIMIT has its rows, so it
    # runs only for a start that lies past the last matching key. Runs may overlap.
    found = f"""SELECT DISTINCT w.id{_found_columns("w", adaptive=adaptive, mixed=mixed)}
    FROM {starts_sql}
    CROSS JOIN LATERAL (
        (SELECT q.id, q.topic, q.difficulty, q.random_key FROM questions q
         WHERE {where} AND q.random_key >= s.start
         ORDER BY q.random_key LIMIT :run)
        UNION ALL
        (SELECT q.id, q.topic, q.difficulty, q.random_key FROM questions q
         WHERE {where} AND q.random_key < s.start
         ORDER BY q.random_key LIMIT :run)
        LIMIT :run
    ) AS w"""  # noqa: S608 - only fixed column names are formatted in; values are bound
    params.update(starts=list(starts), run=run, user_id=user_id, seed=seed)
    if difficulties is not None:
        params["difficulties"] = [d.value for d in difficulties]
    limit = len(starts) * run if limit is None else limit
    return _draw(found, params, adaptive=adaptive, mixed=mixed, limit=limit, count=count)


def whole_statement(
    criteria: ExamCriteria,
    user_id: uuid.UUID,
    *,
    adaptive: bool = False,
    limit: int,
    seed: int = 0,
    author_id: uuid.UUID | None = None,
) -> tuple[TextClause, dict[str, Any]]:
    """The statement that reads the matching set whole (at most ``DIRECT_READ`` of it,
    should the estimate have been far too low) and returns ``limit`` of it in draw
    order: what an ORDER BY random() reads, with the draw's rules. With ``author_id``,
    that author's questions alone (``ix_questions_owner_id_id`` reads them)."""
    where, params = _where(criteria, ":difficulty" if criteria.difficulty else None)
    mixed = spreads_difficulties(criteria)
    columns = _found_columns("q", adaptive=adaptive, mixed=mixed)
    if author_id is not None:
        where = f"q.owner_id = :author_id AND {where}"
        params["author_id"] = author_id
    found = f"SELECT q.id{columns} FROM questions q WHERE {where} LIMIT :read"  # noqa: S608
    params.update(read=DIRECT_READ, user_id=user_id, seed=seed)
    return _draw(found, params, adaptive=adaptive, mixed=mixed, limit=limit, count=False)


@dataclass(frozen=True)
class Candidate:
    id: uuid.UUID
    last_seen_at: datetime | None


@dataclass(frozen=True)
class Estimate:
    matches: int  # questions that match the filters
    reads: int  # rows the most selective index gives before the other filters are applied


def estimate(db: Session, criteria: ExamCriteria) -> Estimate:
    """How many questions match the filters and how many a whole read visits, as the
    planner estimates them from the table's statistics (what it would price an ORDER
    BY random() by). Kept per container for ``ESTIMATE_TTL_SECONDS``: they only pick
    the plan."""
    key = (criteria.topic, criteria.subject, criteria.system, criteria.difficulty)
    now = time.monotonic()
    kept = _estimates.get(key)
    if kept is not None and kept[0] > now:
        return kept[1]
    where, params = _filters(criteria)
    plan = db.execute(
        text(f"EXPLAIN (FORMAT JSON) SELECT 1 FROM questions q WHERE {where}"),  # noqa: S608 - fixed column names
        params,
    ).scalar_one()
    found = Estimate(matches=int(plan[0]["Plan"]["Plan Rows"]), reads=_most_rows(plan[0]["Plan"]))
    if len(_estimates) >= _ESTIMATES_KEPT:
        _estimates.clear()
    _estimates[key] = (now + ESTIMATE_TTL_SECONDS, found)
    return found


def _most_rows(node: dict[str, Any]) -> int:
    """The most rows any node of the plan yields: a bitmap or index scan's, before the
    filters it cannot use are applied to the rows it fetches."""
    return max([int(node["Plan Rows"])] + [_most_rows(n) for n in node.get("Plans", [])])


def estimated_matches(db: Session, criteria: ExamCriteria) -> int:
    return estimate(db, criteria).matches


def runs_for(want: int, matches: int) -> int:
    """Runs whose distinct questions come to about ``want`` on a set of ``matches``.

    A run covers ``RUN_LENGTH / matches`` of the set, so ``n`` runs from random starts
    cover ``1 - (1 - RUN_LENGTH / matches) ** n`` of it in expectation: on a large set
    that is ``want / RUN_LENGTH`` runs, on one a few times ``want`` a few more, lest
    overlapping runs leave the exam short and send the draw to the whole read."""
    plain = math.ceil(want / RUN_LENGTH)
    if matches <= want:
        return plain
    per_run = math.log1p(-RUN_LENGTH / matches) if matches > RUN_LENGTH else -math.inf
    return max(plain, math.ceil(math.log1p(-want / matches) / per_run))


def walks(db: Session, criteria: ExamCriteria, want: int) -> bool:
    """Whether a draw that wants ``want`` candidates walks rather than reads whole.

    A whole read costs what it visits; a walk costs about ``want`` candidates times the
    rows visited per match (a filter the index cannot use makes each run read further)
    and overlaps itself when the set is not much bigger than ``want``. So a walk when
    the whole read would visit more than ``DIRECT_MAX`` rows and the set holds at least
    ``WALK_MIN_SHARE`` times ``want``."""
    found = estimate(db, criteria)
    return found.reads > DIRECT_MAX and found.matches >= WALK_MIN_SHARE * want


_estimates: dict[tuple[str | None, ...], tuple[float, Estimate]] = {}
_ESTIMATES_KEPT = 4096


def _spread(
    db: Session, criteria: ExamCriteria, n: int, rng: random.Random
) -> list[Difficulty] | None:
    """The difficulty of each start when the runs must be spread over difficulties: in
    turn from a random one, each while its matches (the planner's estimate) can fill
    another run, until the runs are expected to read what ``n`` full runs would; should
    every difficulty be used up, the rest go to the largest.

    A run over a difficulty with fewer matches left than a run reads only those, so it
    counts for them alone, and more runs follow: the planner never estimates fewer than
    one match, so a topic of hard questions only would otherwise spend a run on each of
    easy and medium and come back short. The list may hold more than ``n``."""
    if not spreads_difficulties(criteria):
        return None
    levels = list(Difficulty)
    matches = {
        d: estimated_matches(db, criteria.model_copy(update={"difficulty": d})) for d in levels
    }
    left = dict(matches)
    offset = rng.randrange(len(levels))
    turn = levels[offset:] + levels[:offset]
    order: list[Difficulty] = []
    wanted = n * RUN_LENGTH
    while wanted > 0:
        open_ = [d for d in turn if left[d] > 0]
        if not open_:  # every match covered: the rest to the largest
            largest = max(levels, key=lambda d: matches[d])
            order += [largest] * math.ceil(wanted / RUN_LENGTH)
            break
        for d in open_:
            if wanted <= 0:
                break
            reads = min(RUN_LENGTH, left[d])
            order.append(d)
            left[d] -= reads
            wanted -= reads
    return order


def _candidates(rows: Iterable[Any]) -> list[Candidate]:
    return [Candidate(id=row.id, last_seen_at=row.last_seen_at) for row in rows]


def _factors(adaptive: bool) -> tuple[float, ...]:
    """Candidates per place of each walk a draw may take, the first walk first."""
    return (ADAPTIVE_OVERSAMPLE,) if adaptive else (FIRST_OVERSAMPLE, OVERSAMPLE)


def _want(factor: float, size: int) -> int:
    return max(math.ceil(factor * size), MIN_CANDIDATES)


def plan(db: Session, criteria: ExamCriteria, size: int, *, adaptive: bool = False) -> str:
    """``"walk"`` or ``"whole"``: how a draw of ``size`` starts (the bench prints it)."""
    return "walk" if walks(db, criteria, _want(_factors(adaptive)[0], size)) else "whole"


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
    """Up to ``size`` distinct eligible questions matching ``criteria``, in draw order:
    unseen first (for adaptive exams, a sample of them by weight), then the longest
    unseen.

    The plan follows what a whole read would visit (``walks``): up to ``DIRECT_MAX``
    rows are read whole (every match is a candidate, so no unseen one is missed); more,
    and short runs are walked, which costs what the exam's size does. A first walk reads
    a little more than the exam (on a large set a learner has seen few); should too few
    of those be unseen, a second reads ``OVERSAMPLE`` times the exam; adaptive exams read
    ``ADAPTIVE_OVERSAMPLE`` times at once (their weights need a choice). Runs that come
    back short or overlapping (the statistics are out of date: the set is small after
    all) are followed by the whole read. With ``author_id``, the author's matching
    questions are read whole (a course quiz's draw)."""
    seed = rng.randrange(-(2**63), 2**63)
    factors = _factors(adaptive)
    wants = [_want(factor, size) for factor in factors]
    if author_id is None and walks(db, criteria, wants[0]):
        for factor, want in zip(factors, wants, strict=True):
            if factor is not factors[0] and not walks(db, criteria, want):
                break  # too small a set for the longer walk: read it whole
            small = want * (1 - OVERLAP_SIGNAL)  # fewer distinct: a small set after all
            # The first walk is told by its rows alone, so it returns at least as many as
            # `small` (more than the exam only when the exam is tiny); the later walk
            # reads more than it returns and counts what it found.
            first = not adaptive and factor == FIRST_OVERSAMPLE
            runs = runs_for(want, estimate(db, criteria).matches)
            difficulties = _spread(db, criteria, runs, rng)
            stmt, params = walk_statement(
                criteria,
                user_id,
                [rng.random() for _ in range(len(difficulties) if difficulties else runs)],
                difficulties,
                adaptive=adaptive,
                limit=max(size, math.ceil(small)) if first else size,
                count=not first,
                seed=seed,
            )
            rows = db.execute(stmt, params).all()
            found = len(rows) if first else (rows[0].found_count if rows else 0)
            if found and found < small:
                break  # read it whole
            drawn = _candidates(rows[:size])
            # Unseen ones come first: the exam's last place unseen means all are.
            filled = len(drawn) == size and drawn[-1].last_seen_at is None
            if not rows or not first or filled:
                return drawn
    stmt, params = whole_statement(
        criteria, user_id, adaptive=adaptive, limit=size, seed=seed, author_id=author_id
    )
    return _candidates(db.execute(stmt, params))


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
    order: the draw's (unseen ones first, by weight when adaptive, then the longest
    unseen), shuffled. Reads only (one statement, two when the matching set turns out
    small; and the plan's estimate, once in a while); ``record_exposures`` notes the
    draw. With ``author_id``, only that author's questions are drawn."""
    rng = rng or secrets.SystemRandom()
    picked = draw_candidates(
        db, user_id, criteria, size, rng, adaptive=adaptive, author_id=author_id
    )
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
