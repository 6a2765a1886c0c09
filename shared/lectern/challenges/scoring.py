"""What follows a challenge score's move (``lectern.core.activity``).

The move itself is the SQL function ``challenge_credit`` (migration 0020), this
context's activity hook: each activity that falls in a joined challenge's window, after
the learner joined, of the challenge's metric (and course, when it has one; an answer's
course is its question's) becomes a credit keyed by (challenge, learner, kind, source
event), and only the credits inserted move the entry's score. So a replay counts
nothing, and concurrent activities of one learner queue on the entry's row and each
adds to the last: the score is exact. It returns the entries it moved; here they are
copied to the boards after the commit, and an entry that crossed its target (the
statement that crossed it says so, once) notifies the learner and is itself activity
(``challenge_completed``) for whoever listens, badges among them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lectern.challenges import boards
from lectern.core import activity
from lectern.core.activity import Activity
from lectern.notifications.service import notify


def after_credit(db: Session, moved: list[dict[str, Any]]) -> None:
    """Publish the moved scores after the commit; announce and pass on completions."""
    scores = [
        boards.Score(
            uuid.UUID(m["challenge_id"]),
            uuid.UUID(m["user_id"]),
            int(m["score"]),
            datetime.fromisoformat(m["ends_at"]),
        )
        for m in moved
        if m["visible"]
    ]
    if scores:
        activity.after_commit(db, lambda: boards.publish(scores))
    done = [m for m in moved if m["completed_now"]]
    for m in done:
        notify(
            db,
            [uuid.UUID(m["user_id"])],
            "challenge_completed",
            title=f"Challenge completed: {m['title']}",
            body="You reached the challenge's target.",
            link=f"/challenges/{m['challenge_id']}",
        )
    if done:
        activity.record(
            db,
            [
                Activity(
                    activity.CHALLENGE_COMPLETED,
                    uuid.UUID(m["user_id"]),
                    uuid.UUID(m["challenge_id"]),
                    at=datetime.fromisoformat(m["completed_at"]),
                )
                for m in done
            ],
        )
