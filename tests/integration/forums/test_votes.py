"""Votes: scores stay exactly the sum of the votes under concurrency, one vote per user
per post, never on one's own post."""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from lectern.errors import Conflict, Forbidden
from tests.factories import make_account


def _voters(db, forum, n):
    from lectern.progress.service import enroll

    voters = [make_account(db) for _ in range(n)]
    for voter in voters:
        enroll(db, voter.principal, forum.course.id)
    return voters


def _in_parallel(calls, workers=32):
    errors: list[BaseException] = []
    # Every worker waits for the go, so the first wave starts together.
    go = threading.Event()

    def run(call):
        from lectern.db.engine import get_sessionmaker

        go.wait(timeout=30)
        try:
            with get_sessionmaker()() as session:
                call(session)
        except BaseException as exc:
            errors.append(exc)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run, call) for call in calls]
        go.set()
        for future in futures:
            future.result()
    assert errors == []


@pytest.mark.parametrize("kind", ["thread", "reply"])
def test_a_hundred_concurrent_voters_leave_the_exact_score(db, forum, kind):
    from lectern.forums import votes
    from lectern.forums.models import ForumReply, ForumThread, ReplyVote, ThreadVote

    thread = forum.thread(db)
    post = thread if kind == "thread" else forum.reply(db, thread.id)
    vote = votes.vote_thread if kind == "thread" else votes.vote_reply
    voters = _voters(db, forum, 100)
    values = [1 if i % 3 else -1 for i in range(100)]
    _in_parallel(
        [
            (lambda s, v=voter, x=value: vote(s, v.principal, post.id, x))
            for voter, value in zip(voters, values, strict=True)
        ]
    )
    model, table, key = (
        (ForumThread, ThreadVote, ThreadVote.thread_id)
        if kind == "thread"
        else (ForumReply, ReplyVote, ReplyVote.reply_id)
    )
    db.expire_all()
    assert db.get(model, post.id).score == sum(values)
    assert db.scalar(select(func.count()).select_from(table).where(key == post.id)) == 100


def test_one_users_concurrent_votes_leave_one_vote_and_a_score_to_match(db, forum):
    from lectern.forums import votes
    from lectern.forums.models import ForumThread, ThreadVote

    thread = forum.thread(db)
    [voter] = _voters(db, forum, 1)
    others = _voters(db, forum, 5)
    for other in others:
        votes.vote_thread(db, other.principal, thread.id, 1)
    rng = random.Random(7)
    choices = [rng.choice([1, -1, 0]) for _ in range(60)]
    _in_parallel(
        [
            (lambda s, x=value: votes.vote_thread(s, voter.principal, thread.id, x))
            for value in choices
        ],
        workers=16,
    )
    db.expire_all()
    rows = db.scalars(
        select(ThreadVote.value).where(
            ThreadVote.thread_id == thread.id, ThreadVote.user_id == voter.id
        )
    ).all()
    assert len(rows) <= 1
    mine = rows[0] if rows else 0
    assert db.get(ForumThread, thread.id).score == 5 + mine


def test_a_vote_changes_and_goes_back(db, forum):
    from lectern.forums import votes
    from lectern.forums.threads import get_thread

    thread = forum.thread(db)
    assert votes.vote_thread(db, forum.bob.principal, thread.id, 1).model_dump() == {
        "score": 1,
        "my_vote": 1,
    }
    assert votes.vote_thread(db, forum.bob.principal, thread.id, 1).score == 1
    assert votes.vote_thread(db, forum.bob.principal, thread.id, -1).score == -1
    assert get_thread(db, forum.bob.principal, thread.id).my_vote == -1
    assert votes.vote_thread(db, forum.bob.principal, thread.id, 0).model_dump() == {
        "score": 0,
        "my_vote": 0,
    }
    assert get_thread(db, forum.bob.principal, thread.id).my_vote == 0


def test_no_vote_on_ones_own_post_nor_from_outside_the_forum(db, forum):
    from lectern.forums import votes

    thread = forum.thread(db)
    reply = forum.reply(db, thread.id)
    with pytest.raises(Conflict):
        votes.vote_thread(db, forum.ann.principal, thread.id, 1)
    with pytest.raises(Conflict):
        votes.vote_reply(db, forum.bob.principal, reply.id, 1)
    with pytest.raises(Forbidden):
        votes.vote_thread(db, forum.outsider.principal, thread.id, 1)
