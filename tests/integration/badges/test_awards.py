"""Badge rules: awarded as the activity happens, once per learner whatever the race,
announced through notifications; the credential's learner is a salted hash; a
challenge's badge on reaching its target; personal data exported and erased."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tests.factories import make_account, make_course


def _badge(db, author, rule, name=None):
    from lectern.badges.schemas import BadgeIn
    from lectern.badges.service import create

    return create(
        db,
        author.principal,
        BadgeIn.model_validate(
            {"name": name or f"Badge {uuid.uuid4().hex[:6]}", "description": "d", "rule": rule}
        ),
    )


def _awards(db, badge_id, user_id=None):
    from lectern.badges.models import BadgeAward

    db.expire_all()
    query = select(BadgeAward).where(BadgeAward.badge_id == badge_id)
    if user_id is not None:
        query = query.where(BadgeAward.user_id == user_id)
    return db.scalars(query).all()


def _notified(db, user_id, kind="badge_awarded", badge_id=None):
    """The user's notifications of ``kind``; with ``badge_id``, those announcing an award
    of that badge only (badges other tests made may be met by the same activity)."""
    from lectern.badges.models import BadgeAward
    from lectern.notifications.models import Notification

    query = select(func.count()).select_from(Notification)
    query = query.where(Notification.user_id == user_id, Notification.type == kind)
    if badge_id is not None:
        awards = select(BadgeAward.id).where(
            BadgeAward.badge_id == badge_id, BadgeAward.user_id == user_id
        )
        links = [f"/badges/assertions/{a}" for a in db.scalars(awards)]
        query = query.where(Notification.link.in_(links))
    return db.scalar(query)


def test_a_rule_met_by_two_concurrent_activities_awards_once(db):
    from lectern.core import activity
    from lectern.core.activity import XP, Activity
    from lectern.db.engine import get_sessionmaker

    author = make_account(db, "instructor")
    badge = _badge(db, author, {"type": "xp", "threshold": 50})
    learner = make_account(db)
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def meet_it(total: int) -> None:
        try:
            with get_sessionmaker()() as session:
                start.wait(timeout=10)
                activity.record(
                    session, [Activity(XP, learner.id, uuid.uuid4(), amount=10, xp_total=total)]
                )
                time.sleep(0.3)  # both in flight: the second waits on the first's row
                session.commit()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=meet_it, args=(t,)) for t in (55, 60)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(_awards(db, badge.id, learner.id)) == 1
    assert _notified(db, learner.id, badge_id=badge.id) == 1


def test_thresholds_courses_and_the_salted_identity(db):
    from lectern.progress.service import complete_lesson, enroll

    author = make_account(db, "instructor")
    course, lessons = make_course(db, author, lessons=2)
    xp_badge = _badge(db, author, {"type": "xp", "threshold": 20})
    streak = _badge(db, author, {"type": "streak_days", "threshold": 1})
    finisher = _badge(db, author, {"type": "course_completed", "course_id": str(course.id)})
    any_course = _badge(db, author, {"type": "course_completed"})
    far = _badge(db, author, {"type": "xp", "threshold": 10_000})
    learner = make_account(db)
    enroll(db, learner.principal, course.id)

    complete_lesson(db, learner.principal, lessons[0].id)
    assert len(_awards(db, streak.id, learner.id)) == 1
    assert not _awards(db, xp_badge.id, learner.id)  # 10 XP so far
    assert not _awards(db, finisher.id, learner.id)

    complete_lesson(db, learner.principal, lessons[1].id)
    for badge in (xp_badge, finisher, any_course):
        assert len(_awards(db, badge.id, learner.id)) == 1, badge.name
    assert not _awards(db, far.id, learner.id)
    complete_lesson(db, learner.principal, lessons[1].id)  # a retry awards nothing more
    from lectern.badges.models import BadgeAward

    held = db.scalar(select(func.count()).where(BadgeAward.user_id == learner.id))
    assert _notified(db, learner.id) == held >= 4  # each award announced once

    award = _awards(db, finisher.id, learner.id)[0]
    import hashlib

    email = learner.user.email
    assert email not in award.identity_hash
    assert (
        award.identity_hash
        == "sha256$" + hashlib.sha256((email.lower() + award.identity_salt).encode()).hexdigest()
    )
    other = _awards(db, xp_badge.id, learner.id)[0]
    assert other.identity_salt != award.identity_salt  # a salt per award


def test_a_challenge_awards_its_badge_and_challenge_rules_on_reaching_the_target(db):
    from lectern.challenges.schemas import ChallengeIn
    from lectern.challenges.service import create, join
    from lectern.core import activity
    from lectern.core.activity import XP, Activity

    author = make_account(db, "instructor")
    prize = _badge(db, author, {"type": "challenge_completed"}, name="Any challenge")
    now = datetime.now(UTC)
    challenge = create(
        db,
        author.principal,
        ChallengeIn(
            title="Sprint",
            difficulty="easy",
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(hours=1),
            metric="xp",
            target=30,
            badge_id=_badge(db, author, {"type": "xp", "threshold": 10**9}, name="Sprint").id,
        ),
    )
    own = _badge(db, author, {"type": "challenge_completed", "challenge_id": str(challenge.id)})
    learner = make_account(db)
    join(db, learner.principal, challenge.id)
    activity.record(db, [Activity(XP, learner.id, uuid.uuid4(), amount=20)])
    db.commit()
    assert not _awards(db, own.id, learner.id)
    activity.record(db, [Activity(XP, learner.id, uuid.uuid4(), amount=20)])
    db.commit()
    for badge_id in (prize.id, own.id, challenge.badge_id):
        assert len(_awards(db, badge_id, learner.id)) == 1
    assert _notified(db, learner.id, "challenge_completed") == 1


def test_entries_and_badges_are_exported_and_erased(db):
    from lectern.challenges import boards
    from lectern.challenges.schemas import ChallengeIn
    from lectern.challenges.service import create, join
    from lectern.core import activity
    from lectern.core.activity import XP, Activity
    from lectern.identity.service import delete_me, export_me

    author = make_account(db, "instructor")
    badge = _badge(db, author, {"type": "xp", "threshold": 5})
    now = datetime.now(UTC)
    challenge = create(
        db,
        author.principal,
        ChallengeIn(
            title="Exported",
            difficulty="hard",
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(hours=1),
            metric="xp",
            target=100,
        ),
    )
    learner = make_account(db)
    join(db, learner.principal, challenge.id)
    told = [Activity(XP, learner.id, uuid.uuid4(), amount=9, xp_total=9)]
    activity.record(db, told)
    activity.record(db, told)
    db.commit()
    assert boards.standing(challenge.id, learner.id, 10).score == 9

    learning = export_me(db, learner.principal)["learning"]
    assert [e["score"] for e in learning["challenge_entries"]] == [9]
    assert len(learning["challenge_credits"]) == 1
    assert learning["challenge_standings"][0]["title"] == "Exported"
    # Badges other tests made (XP thresholds) may be met by the same activity.
    assert str(badge.id) in [a["badge_id"] for a in learning["badge_awards"]]

    delete_me(db, learner.principal)
    assert not _awards(db, badge.id, learner.id)
    from lectern.challenges.models import ChallengeCredit, ChallengeEntry

    assert db.scalar(select(func.count()).where(ChallengeEntry.user_id == learner.id)) == 0
    assert db.scalar(select(func.count()).where(ChallengeCredit.user_id == learner.id)) == 0
    standing = boards.standing(challenge.id, learner.id, 10)
    assert standing.rank is None and standing.score is None
