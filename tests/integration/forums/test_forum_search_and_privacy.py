"""Threads and their replies in GET /v1/search (type=thread) through the outbox, only
for who may read the forum; the export, and erasure that anonymizes posts."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import select

from tests.factories import make_account


def _drain():
    from lectern.search import sync

    report = sync.drain("search")
    assert report.failed == 0, report


def _found(db, who, word):
    from lectern.search.service import search

    answer = search(db, who.principal if who else None, word, type="thread")
    return {hit.id for hit in answer.hits}, answer


def test_threads_and_replies_are_found_only_by_who_may_read_the_forum(db, forum):
    from lectern.catalog import service as catalog
    from lectern.progress.service import unenroll

    word, reply_word = f"zq{uuid.uuid4().hex[:10]}", f"zr{uuid.uuid4().hex[:10]}"
    thread = forum.thread(db, title=f"About {word}", body="cells")
    forum.reply(db, thread.id, body=f"the answer is {reply_word}")
    _drain()
    for reader in (forum.ann, forum.bob, forum.owner, forum.admin):
        assert _found(db, reader, word)[0] == {thread.id}, reader
        assert _found(db, reader, reply_word)[0] == {thread.id}, reader
    _hits, answer = _found(db, forum.ann, word)
    assert answer.hits[0].title == f"About {word}" and answer.found == 1
    # Neither a learner outside the course, another instructor nor anyone signed out
    # learns anything, not even how many there are.
    for outsider in (forum.outsider, make_account(db, "instructor"), None):
        ids, answer = _found(db, outsider, word)
        assert (ids, answer.found) == (set(), 0)

    unenroll(db, forum.bob.principal, forum.course.id)
    assert _found(db, forum.bob, word)[0] == set()

    # The course unpublished: its threads follow it out of its learners' search.
    catalog.unpublish_course(db, forum.owner.principal, forum.course.id)
    _drain()
    assert _found(db, forum.ann, word)[0] == set()
    assert _found(db, forum.owner, word)[0] == {thread.id}
    catalog.publish_course(db, forum.owner.principal, forum.course.id)
    _drain()
    assert _found(db, forum.ann, word)[0] == {thread.id}


def test_a_deleted_thread_or_reply_leaves_the_index(db, forum):
    from lectern.forums.replies import delete_reply
    from lectern.forums.threads import delete_thread

    word, reply_word = f"zd{uuid.uuid4().hex[:10]}", f"ze{uuid.uuid4().hex[:10]}"
    thread = forum.thread(db, body=word)
    reply = forum.reply(db, thread.id, body=reply_word)
    _drain()
    assert _found(db, forum.ann, reply_word)[0] == {thread.id}
    delete_reply(db, forum.bob.principal, reply.id)
    _drain()
    assert _found(db, forum.ann, reply_word)[0] == set()
    assert _found(db, forum.ann, word)[0] == {thread.id}
    delete_thread(db, forum.ann.principal, thread.id)
    _drain()
    assert _found(db, forum.admin, word)[0] == set()


def test_the_export_holds_the_posts_votes_follows_and_flags(db, forum):
    from lectern.forums import flags, votes
    from lectern.identity.service import export_me

    thread = forum.thread(db, forum.bob, title="Bob asks", anonymous=True)
    forum.reply(db, thread.id, forum.bob, body="Bob adds")
    other = forum.thread(db)
    votes.vote_thread(db, forum.bob.principal, other.id, -1)
    flags.flag_thread(db, forum.bob.principal, other.id, "off topic")
    learning = export_me(db, forum.bob.principal)["learning"]
    json.dumps(learning)
    kinds = sorted((p["kind"], p.get("title") or p["body"]) for p in learning["forum_posts"])
    assert kinds == [("reply", "Bob adds"), ("thread", "Bob asks")]
    assert [v["value"] for v in learning["forum_thread_votes"]] == [-1]
    assert {f["thread_id"] for f in learning["forum_follows"]} == {str(thread.id)}
    assert [f["reason"] for f in learning["forum_flags"]] == ["off topic"]


def test_erasure_keeps_the_discussion_and_takes_the_author_votes_follows_and_flags(db, forum):
    from lectern.forums import flags, votes
    from lectern.forums.models import ForumFlag, ForumReply, ForumThread, ThreadFollow
    from lectern.forums.replies import list_replies
    from lectern.forums.threads import get_thread
    from lectern.identity.service import delete_me

    mine = forum.thread(db, forum.bob, title="Bob's question")
    reply = forum.reply(db, mine.id, forum.bob, body="Bob's own answer")
    others = forum.thread(db)
    others_reply = forum.reply(db, others.id, forum.ann)
    votes.vote_thread(db, forum.bob.principal, others.id, 1)
    votes.vote_reply(db, forum.bob.principal, others_reply.id, -1)
    votes.vote_thread(db, forum.ann.principal, mine.id, 1)
    flags.flag_thread(db, forum.bob.principal, others.id, "spam")

    delete_me(db, forum.bob.principal)

    seen = get_thread(db, forum.ann.principal, mine.id)
    assert (seen.title, seen.author, seen.deleted, seen.score) == ("Bob's question", None, False, 1)
    [kept] = list_replies(db, forum.ann.principal, mine.id, limit=5, cursor=None).items
    assert (kept.body, kept.author) == ("Bob's own answer", None)
    db.expire_all()
    assert db.get(ForumThread, others.id).score == 0  # his vote left with him
    assert db.get(ForumReply, others_reply.id).score == 0
    assert db.get(ForumReply, reply.id).author_id is None
    assert db.scalars(select(ThreadFollow).where(ThreadFollow.user_id == forum.bob.id)).all() == []
    assert db.scalars(select(ForumFlag).where(ForumFlag.user_id == forum.bob.id)).all() == []
