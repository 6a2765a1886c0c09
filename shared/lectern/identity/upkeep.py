"""Identity upkeep: ``sessions`` prunes expired members from the per-user session indexes
in Upstash.
"""

from __future__ import annotations

import time

from sqlalchemy.orm import Session

from lectern.core.upkeep import Run, TaskResult

SCAN_COUNT = 1000


def sessions_task(_db: Session, run: Run) -> TaskResult:
    """Prune expired members from every ``user-sessions:<uid>`` index. The session keys
    expire by TTL, and an index with its newest session; until then its older, expired
    members stay, pruned otherwise only when the user signs in again. SCAN may return a
    key twice; pruning it again is harmless."""
    from lectern.kv.factory import get_kv
    from lectern.kv.port import key

    kv = get_kv()
    pattern = key("user-sessions", "*")
    now = int(time.time())
    cursor, keys_seen, pruned, skipped = 0, 0, 0, 0
    while True:
        cursor, keys = kv.scan(cursor, match=pattern, count=SCAN_COUNT)
        if keys:
            # A key of another type (an older format) would fail the whole pipeline, and
            # so the task, every run: it is counted and left alone.
            types = kv.pipeline()
            for index in keys:
                types.type(index)
            indexes = [k for k, t in zip(keys, types.exec(), strict=True) if str(t) == "zset"]
            skipped += len(keys) - len(indexes)
            if indexes:
                pipe = kv.pipeline()
                for index in indexes:
                    pipe.zremrangebyscore(index, "-inf", now)
                pruned += sum(int(str(n)) for n in pipe.exec())
            keys_seen += len(indexes)
        if int(cursor) == 0:
            break
    return run.now, {"indexes": keys_seen, "pruned": pruned, "skipped": skipped}
