"""Replies: one level of nesting, endorsed first then oldest, closed threads refuse,
followers hear of them (in the reply's own transaction), endorsements notify."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from lectern.errors import Conflict, Forbidden, InvalidField
from tests.factories import make_account


def _replies(db, who, thread_id, limit=50, cursor=None):
    from lectern.forums.replies import list_replies

    return list_replies(db, who.principal, thread_id, limit=limit, cursor=cursor)


def _inbox(db, account, type_name="thread_reply"):
    from lectern.notifications.models import Notification

    return list(
        db.scalars(
            select(Notification).where(
                Notification.user_id == account.id, Notification.type == type_name
            )
        )
    )


def test_a_reply_answers_the_thread_or_a_top_level_reply_one_level_deep(db, forum):
    thread = forum.thread(db)
    first = forum.reply(db, thread.id, body="First")
    nested = forum.reply(db, thread.id, forum.ann, body="On first", parent_id=first.id)
    assert nested.parent_id == first.id
    with pytest.raises(InvalidField) as deeper:
        forum.reply(db, thread.id, parent_id=nested.id)
    assert deeper.value.field == "parent_id"
    other = forum.thread(db, title="Other")
    with pytest.raises(InvalidField):
        forum.reply(db, other.id, parent_id=first.id)
    from lectern.forums.threads import get_thread

    assert get_thread(db, forum.ann.principal, thread.id).reply_count == 2


def test_replies_list_endorsed_first_then_oldest_across_pages(db, forum):
    from lectern.forums.replies import endorse

    thread = forum.thread(db)
    made = [forum.reply(db, thread.id, body=f"R{i}") for i in range(5)]
    endorse(db, forum.owner.principal, made[3].id, on=True)
    bodies, cursor = [], None
    while True:
        page = _replies(db, forum.ann, thread.id, limit=2, cursor=cursor)
        bodies += [r.body for r in page.items]
        if (cursor := page.next_cursor) is None:
            break
    assert bodies == ["R3", "R0", "R1", "R2", "R4"]


def test_a_closed_thread_takes_no_reply_and_nothing_is_written(db, forum):
    from lectern.forums.models import ForumReply
    from lectern.forums.schemas import ThreadUpdateIn
    from lectern.forums.threads import get_thread, update_thread

    thread = forum.thread(db)
    update_thread(db, forum.owner.principal, thread.id, ThreadUpdateIn(closed=True))
    with pytest.raises(Conflict):
        forum.reply(db, thread.id)
    assert db.scalar(select(func.count()).where(ForumReply.thread_id == thread.id)) == 0
    assert get_thread(db, forum.ann.principal, thread.id).reply_count == 0
    assert _inbox(db, forum.ann) == []


def test_followers_who_may_read_hear_of_a_reply_but_not_its_author(db, forum):
    from lectern.forums.threads import follow
    from lectern.progress.service import unenroll

    thread = forum.thread(db)  # Ann follows it
    leaver = make_account(db)
    from lectern.progress.service import enroll

    enroll(db, leaver.principal, forum.course.id)
    follow(db, leaver.principal, thread.id, on=True)
    follow(db, forum.owner.principal, thread.id, on=True)
    follow(db, forum.bob.principal, thread.id, on=True)
    unenroll(db, leaver.principal, forum.course.id)

    forum.reply(db, thread.id, forum.bob, body="Meiosis makes gametes.", anonymous=True)
    [note] = _inbox(db, forum.ann)
    assert note.title == "New reply in: How do cells divide?"
    assert note.body == "Meiosis makes gametes."
    assert note.link == f"/courses/{forum.course.id}/threads/{thread.id}"
    assert "Bob" not in note.title + note.body  # an anonymous reply stays anonymous
    assert len(_inbox(db, forum.owner)) == 1
    assert _inbox(db, forum.bob) == []  # the reply's own author
    assert _inbox(db, leaver) == []  # left the course: not even the title


def test_a_reply_whose_transaction_fails_sends_no_mail_and_no_notification(db, forum, stack):
    """The reply's transaction fails at its last write (the search outbox row, refused
    by a trigger here): the reply, the followers' inbox rows and their mail all go."""
    from lectern.core import relay
    from lectern.forums.models import ForumReply
    from lectern.notifications.models import Notification
    from lectern.notifications.schemas import PreferencesIn
    from lectern.notifications.service import put_preferences

    put_preferences(
        db,
        forum.ann.principal,
        PreferencesIn.model_validate({"types": {"thread_reply": {"email": "immediate"}}}),
    )
    thread = forum.thread(db)
    relay.drain("mail")
    db.execute(
        text(
            "CREATE FUNCTION lectern_test_refuse() RETURNS trigger LANGUAGE plpgsql AS"
            " $$ BEGIN RAISE EXCEPTION 'refused for the test'; END $$"
        )
    )
    db.execute(
        text(
            "CREATE TRIGGER lectern_test_refuse BEFORE INSERT ON outbox FOR EACH ROW"
            f" WHEN (NEW.entity_type = 'thread' AND NEW.entity_id = '{thread.id}')"
            " EXECUTE FUNCTION lectern_test_refuse()"
        )
    )
    db.commit()
    try:
        with pytest.raises(Exception, match="refused for the test"):
            forum.reply(db, thread.id, body="This one fails")
        db.rollback()
    finally:
        db.execute(text("DROP TRIGGER lectern_test_refuse ON outbox"))
        db.execute(text("DROP FUNCTION lectern_test_refuse()"))
        db.commit()
    assert db.scalar(select(func.count()).where(ForumReply.thread_id == thread.id)) == 0
    assert db.scalar(select(func.count()).where(Notification.user_id == forum.ann.id)) == 0
    relay.drain("mail")
    assert stack.sent_mail(forum.ann.user.email) == []

    # The same reply once the write succeeds: one notification, one mail.
    forum.reply(db, thread.id, body="This one lands")
    relay.drain("mail")
    assert len(_inbox(db, forum.ann)) == 1
    [mail] = stack.sent_mail(forum.ann.user.email)
    assert "This one lands" in mail.text


def test_endorsing_is_for_moderators_and_tells_the_replys_author(db, forum):
    from lectern.forums.replies import delete_reply, endorse

    thread = forum.thread(db)
    reply = forum.reply(db, thread.id)
    with pytest.raises(Forbidden):
        endorse(db, forum.ann.principal, reply.id, on=True)
    assert endorse(db, forum.owner.principal, reply.id, on=True).endorsed is True
    endorse(db, forum.owner.principal, reply.id, on=True)  # again: no second notification
    [note] = _inbox(db, forum.bob, "reply_endorsed")
    assert note.title == "Your reply was endorsed in: How do cells divide?"
    assert endorse(db, forum.admin.principal, reply.id, on=False).endorsed is False
    delete_reply(db, forum.bob.principal, reply.id)
    with pytest.raises(Conflict):
        endorse(db, forum.owner.principal, reply.id, on=True)


def test_a_deleted_reply_reads_as_deleted_and_no_longer_counts(db, forum):
    from lectern.forums.replies import delete_reply
    from lectern.forums.threads import get_thread

    thread = forum.thread(db)
    reply = forum.reply(db, thread.id)
    forum.reply(db, thread.id, forum.ann, parent_id=reply.id)
    with pytest.raises(Forbidden):
        delete_reply(db, forum.ann.principal, reply.id)
    delete_reply(db, forum.bob.principal, reply.id)
    delete_reply(db, forum.bob.principal, reply.id)
    [gone, kept] = _replies(db, forum.ann, thread.id).items
    assert (gone.deleted, gone.body, gone.author) == (True, "", None)
    assert kept.parent_id == reply.id and kept.deleted is False
    assert get_thread(db, forum.ann.principal, thread.id).reply_count == 1
