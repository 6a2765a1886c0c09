"""``challenge_boards``: bring the boards of live challenges back to Postgres.

Entries whose score changed since the last run, and entrants whose profile changed (they
may have chosen to keep off leaderboards), are written again: ``ZADD GT`` for the
visible (a copy never lowers a newer score), ``ZREM`` for the hidden. Rerunning is safe.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from lectern.challenges.boards import KEEP_AFTER_END, board_key
from lectern.core.upkeep import Run, TaskResult, since_clause

BATCH = 5000


def challenge_boards_task(db: Session, run: Run) -> TaskResult:
    from lectern.kv.factory import get_kv

    until = run.settled
    params: dict[str, Any] = {"until": until, "live": run.now - KEEP_AFTER_END}
    entries_changed = since_clause("e.updated_at", run.watermark, params)
    profiles_changed = since_clause("p.updated_at", run.watermark, params)
    # Both clauses read the one watermark parameter.
    rows = db.execute(
        text(
            "SELECT e.challenge_id, e.user_id::text AS member, e.score, p.leaderboard_visible"  # noqa: S608 - fixed clauses
            " FROM challenge_entries e JOIN profiles p ON p.user_id = e.user_id"
            " JOIN challenges c ON c.id = e.challenge_id"
            " WHERE c.ends_at > :live AND ("
            f" (e.updated_at <= :until {entries_changed})"
            f" OR (p.updated_at <= :until {profiles_changed}))"
        ),
        params,
    ).all()
    shown: dict[Any, dict[str, int]] = defaultdict(dict)
    hidden: dict[Any, list[str]] = defaultdict(list)
    for r in rows:
        if r.leaderboard_visible:
            shown[r.challenge_id][r.member] = r.score
        else:
            hidden[r.challenge_id].append(r.member)
    kv = get_kv()
    pipe = kv.pipeline()
    queued = 0
    for challenge_id, scores in shown.items():
        items = list(scores.items())
        for start in range(0, len(items), BATCH):
            pipe.zadd(board_key(challenge_id), dict(items[start : start + BATCH]), gt=True)
            queued += 1
    for challenge_id, members in hidden.items():
        pipe.zrem(board_key(challenge_id), *members)
        queued += 1
    if queued:
        pipe.exec()
    return until, {
        "published": sum(len(s) for s in shown.values()),
        "removed": sum(len(m) for m in hidden.values()),
    }
