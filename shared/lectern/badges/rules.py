"""The activity hook that awards badges by their rules (``lectern.core.activity``).

One statement for all the activity one call recorded: the badges whose rule it meets
(XP or streak at a threshold, a course or a challenge completed, or the badge a
challenge names for reaching its target) are inserted for the learner unless held. The
unique (badge, learner) decides between concurrent activities meeting one rule: one
award, whichever commits first; the other inserts nothing. Each new award is announced
through notifications in the same transaction.

The award fixes the learner's identity in the credential: SHA-256 of their (lower-cased)
email followed by a salt of its own, made from ``gen_random_uuid()`` (the server's strong
random source), so the hash cannot be matched against a list of addresses without it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from lectern.core.activity import Activity
from lectern.notifications.service import notify
from lectern.observability import count

# A UUIDv7 made in SQL (Postgres 16 has no uuidv7()): the Unix milliseconds over the
# first 48 bits of a random UUID, and the version bits turned from 4 to 7.
_UUID7 = (
    "encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing"
    " substring(int8send(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint)"
    " FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid"
)

_AWARD = text(
    f"""
WITH a AS (
    SELECT * FROM unnest(
        CAST(:kinds AS text[]), CAST(:users AS uuid[]), CAST(:sources AS uuid[]),
        CAST(:ats AS timestamptz[]), CAST(:xp AS integer[]), CAST(:streaks AS integer[])
    ) AS a(kind, user_id, source_id, at, xp_total, streak_days)
), earned AS (
    SELECT a.user_id, b.id AS badge_id, min(a.at) AS at
    FROM a JOIN badges b ON
        (a.kind = 'xp' AND b.rule_type = 'xp' AND b.threshold <= a.xp_total)
     OR (a.kind = 'xp' AND b.rule_type = 'streak_days' AND b.threshold <= a.streak_days)
     OR (a.kind = 'course_completed' AND b.rule_type = 'course_completed'
         AND (b.course_id IS NULL OR b.course_id = a.source_id))
     OR (a.kind = 'challenge_completed' AND b.rule_type = 'challenge_completed'
         AND (b.challenge_id IS NULL OR b.challenge_id = a.source_id))
     OR (a.kind = 'challenge_completed'
         AND b.id = (SELECT c.badge_id FROM challenges c WHERE c.id = a.source_id))
    WHERE NOT EXISTS (
        SELECT 1 FROM badge_awards x WHERE x.badge_id = b.id AND x.user_id = a.user_id
    )
    GROUP BY a.user_id, b.id
), salted AS (
    SELECT e.*, encode(sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 'hex') AS salt
    FROM earned e
)
INSERT INTO badge_awards AS w (id, badge_id, user_id, awarded_at, identity_salt, identity_hash)
SELECT {_UUID7}, s.badge_id, s.user_id, s.at, s.salt,
       'sha256$' || encode(sha256(convert_to(lower(u.email) || s.salt, 'UTF8')), 'hex')
FROM salted s JOIN users u ON u.id = s.user_id
WHERE u.deleted_at IS NULL
ON CONFLICT (badge_id, user_id) DO NOTHING
RETURNING w.id, w.badge_id, w.user_id,
          (SELECT b.name FROM badges b WHERE b.id = w.badge_id) AS name
"""  # noqa: S608 - a constant expression
)


def _arrays(activities: list[Activity]) -> dict[str, Any]:
    return {
        "kinds": [a.kind for a in activities],
        "users": [a.user_id for a in activities],
        "sources": [a.source_id for a in activities],
        "ats": [a.at for a in activities],
        "xp": [a.xp_total for a in activities],
        "streaks": [a.streak_days for a in activities],
    }


def on_activity(db: Session, activities: list[Activity]) -> None:
    """Award what the activities earned, in the caller's transaction."""
    rows = db.execute(_AWARD, _arrays(activities)).all()
    for row in rows:
        notify(
            db,
            [row.user_id],
            "badge_awarded",
            title=f"New badge: {row.name}",
            body="You earned a badge. Its credential can be checked by anyone you share it with.",
            link=f"/badges/assertions/{row.id}",
        )
    if rows:
        count("BadgeAwarded", len(rows))
