"""A realistic seed through the real handlers: every app table gets rows."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from tests.e2e.conftest import invoke
from tests.factories import new_account


def _ok(reply: Any, status: int = 201) -> Any:
    assert reply.status == status, reply.body
    return reply.body


def seed_everything() -> None:
    from local.scheduler import run_aggregate, run_search_sync
    from tests.e2e.api.test_authorization_matrix import _world

    actors = {
        "instructor": new_account("instructor", "Seed Instructor"),
        "learner": new_account("student", "Seed Learner"),
        "admin": new_account("admin", "Seed Admin"),
    }
    world = _world(actors)
    learner, instructor, admin = actors["learner"], actors["instructor"], actors["admin"]
    exam = world.exam
    question = exam["questions"][0]
    _ok(
        invoke(
            "assessments",
            "POST",
            f"/v1/exams/{exam['id']}/answers",
            token=learner.token,
            body={"question_id": question["id"], "option_ids": [question["options"][0]["id"]]},
        )
    )
    _ok(invoke("assessments", "POST", f"/v1/exams/{exam['id']}/submit", token=learner.token), 200)
    _ok(
        invoke(
            "progress",
            "POST",
            f"/v1/lessons/{world.live_lesson['id']}/complete",
            token=learner.token,
        ),
        200,
    )
    _ok(
        invoke(
            "study",
            "POST",
            f"/v1/study/items/{world.study_item['id']}/reviews",
            token=learner.token,
            body={"rating": "good"},
        )
    )
    _ok(
        invoke(
            "analytics",
            "POST",
            "/v1/events",
            token=learner.token,
            body={
                "events": [
                    {
                        "type": "lesson_viewed",
                        "occurred_at": datetime.now(UTC).isoformat(),
                        "context": {},
                    }
                ]
            },
        ),
        202,
    )
    _ok(invoke("users", "GET", "/v1/me/export", token=learner.token), 200)
    _ok(
        invoke(
            "progress",
            "GET",
            f"/v1/courses/{world.live['id']}/enrollments",
            token=admin.token,
        ),
        200,
    )
    _ok(
        invoke(
            "notifications",
            "PUT",
            "/v1/me/notification-preferences",
            token=learner.token,
            body={"types": {"certificate_issued": {"email": "daily"}}},
        ),
        200,
    )
    run_search_sync()
    _ok(
        invoke(
            "ai",
            "POST",
            f"/v1/ai/chats/{world.chat['id']}/messages",
            token=learner.token,
            body={"content": "What is this course about?"},
        )
    )
    run_aggregate()
    # What the schedules would do a minute later: the lesson's chunks (the ingest
    # function, from the relayed outbox row) and today's rollups.
    from lectern.analytics.store.factory import get_store
    from lectern.db.engine import get_sessionmaker
    from lectern.ingest.pipeline import handle_message

    handle_message(json.dumps({"type": "process_lesson", "lesson_id": world.live_lesson["id"]}))
    with get_sessionmaker()() as db:
        get_store().rollup_days(db, [datetime.now(UTC).date()])
        db.commit()
    # A password account, and a pending outbox row (a course edit not yet drained).
    _ok(
        invoke(
            "auth",
            "POST",
            "/v1/auth/register",
            body={
                "email": f"seed-{uuid.uuid4().hex[:10]}@example.com",
                "password": "a long enough password",
                "name": "Seed",
            },
        )
    )
    _ok(
        invoke(
            "courses",
            "PATCH",
            f"/v1/courses/{world.live['id']}",
            token=instructor.token,
            body={"title": "Seed course, edited"},
        ),
        200,
    )
    _seed_community(world, learner, instructor, admin)
    _seed_teams_billing(world, learner, admin)
    _seed_challenge(instructor, learner)


def _seed_challenge(instructor: Any, learner: Any) -> None:
    """A running XP challenge the learner joined, and the credit of one XP award in it
    (through the activity hook, as an answer or a lesson would give it)."""
    from lectern.core import activity
    from lectern.core.activity import XP, Activity
    from lectern.db.engine import get_sessionmaker

    now = datetime.now(UTC)
    challenge = _ok(
        invoke(
            "challenges",
            "POST",
            "/v1/challenges",
            token=instructor.token,
            body={
                "title": "Seed sprint",
                "difficulty": "easy",
                "starts_at": (now - timedelta(minutes=1)).isoformat(),
                "ends_at": (now + timedelta(days=7)).isoformat(),
                "metric": "xp",
                "target": 1000,
            },
        )
    )
    _ok(invoke("challenges", "POST", f"/v1/challenges/{challenge['id']}/join", token=learner.token))
    # A badge the same XP meets: its award is made by the hook too.
    _ok(
        invoke(
            "badges",
            "POST",
            "/v1/badges",
            token=instructor.token,
            body={
                "name": "Seed badge",
                "description": "Earned 1 XP.",
                "rule": {"type": "xp", "threshold": 1},
            },
        )
    )
    with get_sessionmaker()() as db:
        activity.record(db, [Activity(XP, learner.id, uuid.uuid4(), amount=5, xp_total=5)])
        db.commit()


def _seed_teams_billing(world: Any, learner: Any, admin: Any) -> None:
    """A team of the learner's (the admin a member), following the live course, an open
    invitation, and a team subscription from a signed delivery."""
    from lectern.db.engine import get_sessionmaker
    from lectern.teams.models import TeamMember
    from local.billing import signed, subscription_event

    team = _ok(invoke("teams", "POST", "/v1/teams", token=learner.token, body={"name": "Seed"}))
    with get_sessionmaker()() as db:
        db.add(TeamMember(team_id=uuid.UUID(team["id"]), user_id=admin.id, role="member"))
        db.commit()
    _ok(
        invoke(
            "teams",
            "PATCH",
            f"/v1/teams/{team['id']}",
            token=learner.token,
            body={"settings": {"assigned_course_ids": [world.live["id"]]}},
        ),
        200,
    )
    _ok(
        invoke(
            "teams",
            "POST",
            f"/v1/teams/{team['id']}/invitations",
            token=learner.token,
            body={"email": f"seed-invitee-{uuid.uuid4().hex[:8]}@example.com"},
        )
    )
    body, headers = signed(
        subscription_event(
            "subscription.active",
            subscription_id=f"sub_seed_{uuid.uuid4().hex}",
            user_id=learner.id,
            team_id=team["id"],
        )
    )
    _ok(
        invoke(
            "billing",
            "POST",
            "/v1/billing/webhooks/polar",
            raw_body=body.decode(),
            headers=headers,
        ),
        202,
    )


def _seed_community(world: Any, learner: Any, instructor: Any, admin: Any) -> None:
    """A thread (its author follows it), a reply that notifies the follower, votes on
    both, a flag, and a live-session request."""
    course_id = world.live["id"]
    thread = _ok(
        invoke(
            "forums",
            "POST",
            f"/v1/courses/{course_id}/threads",
            token=learner.token,
            body={"title": "Seed question", "body": "How does **this** work?"},
        )
    )
    reply = _ok(
        invoke(
            "forums",
            "POST",
            f"/v1/threads/{thread['id']}/replies",
            token=instructor.token,
            body={"body": "Like this."},
        )
    )
    _ok(
        invoke(
            "forums",
            "PUT",
            f"/v1/threads/{thread['id']}/vote",
            token=instructor.token,
            body={"value": 1},
        ),
        200,
    )
    _ok(
        invoke(
            "forums",
            "PUT",
            f"/v1/replies/{reply['id']}/vote",
            token=learner.token,
            body={"value": 1},
        ),
        200,
    )
    _ok(
        invoke(
            "forums",
            "POST",
            f"/v1/replies/{reply['id']}/flag",
            token=admin.token,
            body={"reason": "seed flag"},
        ),
        202,
    )
    _ok(
        invoke(
            "meetings",
            "POST",
            f"/v1/courses/{course_id}/meeting-requests",
            token=learner.token,
            body={
                "topic": "Seed session",
                "preferred_times": [
                    (datetime.now(UTC) + timedelta(days=3)).isoformat(),
                ],
            },
        )
    )


def empty_tables() -> list[str]:
    from lectern.backup.dump import app_tables
    from lectern.db.engine import get_engine

    with get_engine().connect() as conn:
        return [
            t.name
            for t in app_tables()
            if not conn.execute(text(f'SELECT EXISTS (SELECT 1 FROM "{t.name}")')).scalar()  # noqa: S608
        ]
