"""The data export carries every learning record of the caller; erasure removes them."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.factories import make_account


def _learning_records(db, learner, author):
    """One row in every personal table, written directly with the models."""
    from lectern.analytics.events import NewEvent, record_events
    from lectern.analytics.models import DailyUserActivity, EventType
    from lectern.assessment.models import (
        Difficulty,
        Exam,
        ExamAnswer,
        ExamMode,
        ExamQuestion,
        LearnerStats,
        LearnerTopicStats,
        Question,
        QuestionExposure,
        QuestionType,
    )
    from lectern.catalog.models import Course, Lesson, Module
    from lectern.progress.models import Certificate, Enrollment, LessonCompletion
    from lectern.progress.xp import award_xp
    from lectern.sharing.models import Share, ShareEntity

    now = datetime.now(UTC)
    course = Course(owner_id=author.id, title="Privacy 101", published_at=now)
    db.add(course)
    db.flush()
    module = Module(course_id=course.id, title="M", position=0)
    db.add(module)
    db.flush()
    lesson = Lesson(module_id=module.id, course_id=course.id, title="L", content="x", position=0)
    question = Question(
        owner_id=author.id,
        prompt="Q?",
        type=QuestionType.true_false,
        difficulty=Difficulty.easy,
        topic="privacy",
    )
    db.add_all([lesson, question])
    db.flush()
    exam = Exam(user_id=learner.id, mode=ExamMode.practice, size=1)
    db.add(exam)
    db.flush()
    db.add(ExamQuestion(exam_id=exam.id, question_id=question.id, position=0))
    db.flush()
    db.add_all(
        [
            ExamAnswer(exam_id=exam.id, question_id=question.id, is_correct=True),
            Enrollment(user_id=learner.id, course_id=course.id, progress=1, completed_lessons=1),
            LessonCompletion(user_id=learner.id, lesson_id=lesson.id, course_id=course.id),
            Certificate(
                user_id=learner.id, course_id=course.id, course_title="Privacy 101", code="C-1"
            ),
            LearnerStats(user_id=learner.id, answered=1, correct=1),
            LearnerTopicStats(user_id=learner.id, topic="privacy", answered=1, correct=1),
            QuestionExposure(user_id=learner.id, question_id=question.id, last_seen_at=now),
            Share(
                owner_id=learner.id,
                entity_type=ShareEntity.exam,
                entity_id=exam.id,
                token_hash=uuid.uuid4().hex,
            ),
        ]
    )
    award_xp(db, learner.id, reason="test", source_id=lesson.id, amount=10)
    record_events(
        db,
        [
            NewEvent(
                type=EventType.search_performed,
                occurred_at=now,
                user_id=learner.id,
                context={"query": "my private search"},
            )
        ],
    )
    db.add(
        DailyUserActivity(
            day=now.date(), user_id=learner.id, event_type=EventType.search_performed, events=1
        )
    )
    _document_and_ai_usage(db, learner, now)
    _study(db, learner, lesson)
    _community_records(db, learner, author, course)
    db.commit()
    return course


def _study(db, learner, lesson):
    """A flashcard tied to a lesson, reviewed once."""
    from lectern.study import reviews
    from lectern.study.models import ItemType, StudyItem
    from lectern.study.scheduling import new_card
    from lectern.study.schemas import ReviewIn

    now = datetime.now(UTC)
    schedule = new_card(now)
    item = StudyItem(
        user_id=learner.id,
        type=ItemType.flashcard,
        front="Q",
        back="A",
        lesson_id=lesson.id,
        course_id=lesson.course_id,
        state=schedule.state,
        step=schedule.step,
        due=schedule.due,
    )
    db.add(item)
    db.commit()
    reviews.review(db, learner.principal, item.id, ReviewIn(rating="good"), now=now)
    _chat(db, learner)


def _chat(db, learner):
    """A chat with one message of the learner's."""
    from lectern.ai.models import AiChat, AiChatMessage, ChatRole

    chat = AiChat(user_id=learner.id, title="Cells", message_count=1, context_vector=[0.5, 0.5])
    db.add(chat)
    db.flush()
    db.add(
        AiChatMessage(
            chat_id=chat.id, user_id=learner.id, position=0, role=ChatRole.user, content="Why?"
        )
    )
    db.commit()


def _community_records(db, learner, author, course):
    """Notifications, preferences and the unread counter; a vote of each kind, a follow
    and a flag in the course's forum; a live-session request."""
    from lectern.forums.models import (
        ForumFlag,
        ForumReply,
        ForumThread,
        ReplyVote,
        ThreadFollow,
        ThreadVote,
    )
    from lectern.meetings.models import MeetingRequest
    from lectern.notifications.models import NotificationPreference
    from lectern.notifications.service import notify

    thread = ForumThread(
        course_id=course.id, author_id=author.id, title="T", body="b", body_html="<p>b</p>"
    )
    db.add(thread)
    db.flush()
    reply = ForumReply(thread_id=thread.id, author_id=author.id, body="r", body_html="<p>r</p>")
    db.add(reply)
    db.flush()
    db.add_all(
        [
            ThreadVote(thread_id=thread.id, user_id=learner.id, value=1),
            ReplyVote(reply_id=reply.id, user_id=learner.id, value=-1),
            ThreadFollow(thread_id=thread.id, user_id=learner.id),
            ForumFlag(course_id=course.id, thread_id=thread.id, user_id=learner.id, reason="x"),
            MeetingRequest(
                course_id=course.id,
                requester_id=learner.id,
                topic="Help",
                preferred_times=[datetime.now(UTC)],
            ),
        ]
    )

    from lectern.teams.models import Team, TeamMember

    team = Team(name="Author's team", created_by=author.id)
    db.add(team)
    db.flush()
    db.add_all(
        [
            TeamMember(team_id=team.id, user_id=author.id, role="owner"),
            TeamMember(team_id=team.id, user_id=learner.id, role="member"),
        ]
    )
    from lectern.badges.models import BadgeAward
    from lectern.badges.schemas import BadgeIn
    from lectern.badges.service import create as create_badge
    from lectern.challenges.models import Challenge, ChallengeCredit, ChallengeEntry

    now = datetime.now(UTC)
    challenge = Challenge(
        title="Sprint",
        difficulty="easy",
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=1),
        metric="xp",
        target=1000,
        created_by=author.id,
    )
    db.add(challenge)
    db.flush()
    db.add(ChallengeEntry(challenge_id=challenge.id, user_id=learner.id, joined_at=now, score=5))
    db.flush()
    db.add(
        ChallengeCredit(
            challenge_id=challenge.id,
            user_id=learner.id,
            kind="xp",
            source_id=uuid.uuid4(),
            amount=5,
            credited_at=now,
        )
    )
    badge = create_badge(
        db,
        author.principal,
        BadgeIn.model_validate(
            {"name": "Unreachable", "description": "d", "rule": {"type": "xp", "threshold": 10**9}}
        ),
    )
    db.add(
        BadgeAward(
            badge_id=badge.id,
            user_id=learner.id,
            awarded_at=now,
            identity_salt="salt",
            identity_hash="sha256$x",
        )
    )
    notify(db, [learner.id], "certificate_issued", title="Yours", link="/certificates/C-1")
    db.add(
        NotificationPreference(
            user_id=learner.id, type="certificate_issued", in_app=True, email="daily"
        )
    )


def _document_and_ai_usage(db, learner, now):
    """An uploaded document (row and object) and a month of AI usage."""
    from decimal import Decimal

    from lectern.ai.models import AiUsage, AiUsageMonthly
    from lectern.config import get_settings
    from lectern.documents.models import Document, DocumentStatus
    from lectern.storage.factory import get_storage

    key = f"documents/{learner.id}/{uuid.uuid4()}"
    get_storage().client.put_object(Bucket=get_settings().storage.bucket, Key=key, Body=b"my notes")
    month = now.date().replace(day=1)
    db.add_all(
        [
            Document(
                owner_id=learner.id,
                filename="notes.txt",
                content_type="text/plain",
                size_bytes=8,
                object_key=key,
                status=DocumentStatus.ready,
            ),
            AiUsage(
                user_id=learner.id,
                month=month,
                kind="ask",
                model="local-extractive",
                input_tokens=10,
                output_tokens=5,
                cost_cents=Decimal("0.0150"),
            ),
            AiUsageMonthly(user_id=learner.id, month=month, requests=1, tokens=15),
        ]
    )
    return key


def test_export_and_erase_cover_every_learning_record(db):
    from lectern.catalog.models import Course
    from lectern.identity import service
    from lectern.identity.models import Profile
    from lectern.privacy import personal_tables

    learner = make_account(db)
    author = make_account(db, "instructor")
    course = _learning_records(db, learner, author)

    export = service.export_me(db, learner.principal)
    learning = export["learning"]
    json.dumps(export)
    for table, _column in personal_tables():
        if table.name == "badge_awards":
            # Badges other tests made (any course completed, XP) may be met here too.
            assert len(learning[table.name]) >= 1, table.name
            continue
        assert len(learning[table.name]) == 1, table.name
    assert len(learning["exam_answers"]) == 1
    assert "token_hash" not in json.dumps(learning)
    assert learning["events"][0]["context"] == {"query": "my private search"}
    assert learning["events"][0]["type"] == "search_performed"

    [document] = learning["documents"]
    object_key = document["object_key"]
    service.delete_me(db, learner.principal)
    assert _object_exists(object_key) is False
    for table, column in personal_tables():
        rows = db.execute(select(table).where(table.c[column] == learner.id)).all()
        assert rows == [], table.name
    profile = db.get(Profile, learner.id, populate_existing=True)
    assert (profile.xp, profile.level, profile.streak_days) == (0, 1, 0)

    # The author's course outlives a learner's erasure, and their own erasure too.
    service.delete_me(db, author.principal)
    assert db.get(Course, course.id) is not None


def _object_exists(key):
    from botocore.exceptions import ClientError

    from lectern.config import get_settings
    from lectern.storage.factory import get_storage

    try:
        get_storage().client.head_object(Bucket=get_settings().storage.bucket, Key=key)
    except ClientError:
        return False
    return True


def test_erasure_with_storage_down_changes_nothing(db, settings_env):
    from lectern.documents.models import Document
    from lectern.errors import DependencyUnavailable
    from lectern.identity import service
    from tests.conftest import reset_clients

    learner = make_account(db)
    key = _document_and_ai_usage(db, learner, datetime.now(UTC))
    db.commit()
    settings_env.setenv("LECTERN_S3_ENDPOINT_URL", "http://127.0.0.1:9")
    reset_clients()
    with pytest.raises(DependencyUnavailable):
        service.delete_me(db, learner.principal)
    db.rollback()
    settings_env.undo()
    reset_clients()
    assert db.scalar(select(Document.object_key).where(Document.owner_id == learner.id)) == key
    assert _object_exists(key) is True


def test_erasure_takes_only_the_learners_own_events_and_activity(db):
    from lectern.analytics.events import NewEvent, record_events
    from lectern.analytics.models import DailyUserActivity, Event, EventType
    from lectern.identity import service

    learner, other = make_account(db), make_account(db)
    now = datetime.now(UTC)
    record_events(
        db,
        [
            NewEvent(type=EventType.lesson_viewed, occurred_at=now, user_id=account.id)
            for account in (learner, learner, other)
        ],
    )
    for account in (learner, other):
        db.add(
            DailyUserActivity(
                day=now.date(), user_id=account.id, event_type=EventType.lesson_viewed, events=1
            )
        )
    db.commit()

    service.delete_me(db, learner.principal)

    def owners(model):
        ids = (learner.id, other.id)
        return sorted(
            str(u) for u in db.scalars(select(model.user_id).where(model.user_id.in_(ids)))
        )

    assert owners(Event) == [str(other.id)]
    assert owners(DailyUserActivity) == [str(other.id)]
