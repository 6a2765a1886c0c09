"""What follows a badge award (``lectern.core.activity``).

The award itself is the SQL function ``badge_award`` (migration 0020), this context's
activity hook: the badges whose rule the activity meets (XP or streak at a threshold, a
course or a challenge completed, or the badge a challenge names for reaching its
target) are inserted for the learner unless held. The unique (badge, learner) decides
between concurrent activities meeting one rule: one award, whichever commits first; the
other inserts nothing. The award fixes the learner's identity in the credential: SHA-256
of their (lower-cased) email followed by a salt of its own, from ``gen_random_uuid()``
(the server's strong random source), so the hash cannot be matched against a list of
addresses without it.

Here each new award is announced through notifications, in the same transaction.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from lectern.notifications.service import notify
from lectern.observability import count


def after_award(db: Session, awarded: list[dict[str, Any]]) -> None:
    for award in awarded:
        notify(
            db,
            [uuid.UUID(award["user_id"])],
            "badge_awarded",
            title=f"New badge: {award['name']}",
            body="You earned a badge. Its credential can be checked by anyone you share it with.",
            link=f"/badges/assertions/{award['id']}",
        )
    count("BadgeAwarded", len(awarded))
