"""Threads: members only, pinned first in every sort, keyset pages that neither skip nor
repeat, the author's text and the moderators' pin and lock, deletion, anonymity."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from lectern.errors import Conflict, Forbidden, InvalidField, NotFound


def _list(db, forum, who, *, sort="recent", limit=50, cursor=None):
    from lectern.forums.threads import list_threads

    return list_threads(db, who.principal, forum.course.id, sort=sort, limit=limit, cursor=cursor)


def _patch(db, who, thread_id, **changes):
    from lectern.forums.schemas import ThreadUpdateIn
    from lectern.forums.threads import update_thread

    return update_thread(db, who.principal, thread_id, ThreadUpdateIn(**changes))


def test_a_thread_is_written_rendered_and_followed_by_its_author(db, forum):
    thread = forum.thread(db, body="Is it **mitosis**? <script>x</script>")
    assert thread.body == "Is it **mitosis**? <script>x</script>"
    assert (
        thread.body_html
        == "<p>Is it <strong>mitosis</strong>? &lt;script&gt;x&lt;/script&gt;</p>\n"
    )
    assert thread.author is not None and thread.author.name == "Ann"
    assert (thread.score, thread.reply_count, thread.pinned, thread.closed) == (0, 0, False, False)
    assert thread.following is True and thread.my_vote == 0


def test_only_members_see_or_write_the_forum(db, forum):
    from lectern.forums.threads import get_thread
    from tests.factories import make_course

    thread = forum.thread(db)
    with pytest.raises(Forbidden):
        forum.thread(db, forum.outsider)
    with pytest.raises(Forbidden):
        _list(db, forum, forum.outsider)
    with pytest.raises(Forbidden):
        get_thread(db, forum.outsider.principal, thread.id)
    for member in (forum.bob, forum.owner, forum.admin):
        assert get_thread(db, member.principal, thread.id).title == thread.title
    # A draft course's forum does not exist for anyone but its owner and admins.
    from lectern.forums.threads import list_threads

    draft, _ = make_course(db, forum.owner, published=False)
    with pytest.raises(NotFound):
        list_threads(db, forum.ann.principal, draft.id, sort="recent", limit=5, cursor=None)
    mine = list_threads(db, forum.owner.principal, draft.id, sort="recent", limit=5, cursor=None)
    assert mine.items == []


def test_every_sort_puts_pinned_first_and_pages_without_gaps(db, forum):
    from lectern.forums.models import ForumThread

    made = [forum.thread(db, title=f"T{i}") for i in range(7)]
    scores = [3, 1, 4, 1, 5, 9, 2]
    for thread, score in zip(made, scores, strict=True):
        db.execute(update(ForumThread).where(ForumThread.id == thread.id).values(score=score))
    db.commit()
    _patch(db, forum.owner, made[1].id, pinned=True)
    forum.reply(db, made[2].id)  # answered, and the most recently active

    def walk(sort):
        titles, cursor = [], None
        while True:
            page = _list(db, forum, forum.ann, sort=sort, limit=2, cursor=cursor)
            titles += [t.title for t in page.items]
            cursor = page.next_cursor
            if cursor is None:
                return titles

    assert walk("top") == ["T1", "T5", "T4", "T2", "T0", "T6", "T3"]
    assert walk("recent") == ["T1", "T2", "T6", "T5", "T4", "T3", "T0"]
    assert walk("unanswered") == ["T1", "T6", "T5", "T4", "T3", "T0"]


def test_a_cursor_of_another_sort_or_forged_is_refused_by_name(db, forum):
    for _ in range(3):
        forum.thread(db)
    cursor = _list(db, forum, forum.ann, sort="top", limit=1).next_cursor
    assert cursor is not None
    for bad in (cursor, "bm90LWpzb24", "eyJzIjoicmVjZW50In0"):
        with pytest.raises(InvalidField) as refused:
            _list(db, forum, forum.ann, sort="recent", limit=1, cursor=bad)
        assert refused.value.field == "cursor"


def test_the_author_changes_the_text_and_a_moderator_the_pin_and_lock(db, forum):
    thread = forum.thread(db)
    changed = _patch(db, forum.ann, thread.id, title="Edited", body="_new_")
    assert (changed.title, changed.body_html) == ("Edited", "<p><em>new</em></p>\n")
    with pytest.raises(Forbidden):
        _patch(db, forum.ann, thread.id, pinned=True)
    with pytest.raises(Forbidden):
        _patch(db, forum.owner, thread.id, title="Owner's words")
    with pytest.raises(Forbidden):
        _patch(db, forum.bob, thread.id, body="Bob's words")
    db.rollback()
    locked = _patch(db, forum.admin, thread.id, pinned=True, closed=True)
    assert (locked.pinned, locked.closed, locked.title) == (True, True, "Edited")


def test_a_deleted_thread_reads_as_deleted_keeps_its_replies_and_leaves_the_list(db, forum):
    from lectern.forums.replies import list_replies
    from lectern.forums.threads import delete_thread, get_thread

    thread = forum.thread(db)
    forum.reply(db, thread.id)
    with pytest.raises(Forbidden):
        delete_thread(db, forum.bob.principal, thread.id)
    delete_thread(db, forum.ann.principal, thread.id)
    delete_thread(db, forum.ann.principal, thread.id)  # again: nothing more
    seen = get_thread(db, forum.bob.principal, thread.id)
    assert (seen.deleted, seen.title, seen.body, seen.author) == (True, "[deleted]", "", None)
    assert thread.id not in [t.id for t in _list(db, forum, forum.bob).items]
    assert len(list_replies(db, forum.bob.principal, thread.id, limit=5, cursor=None).items) == 1
    with pytest.raises(Conflict):
        _patch(db, forum.ann, thread.id, title="Back")
    with pytest.raises(Conflict):
        forum.reply(db, thread.id)


def test_a_moderator_deletes_anyones_thread(db, forum):
    from lectern.forums.threads import delete_thread, get_thread

    thread = forum.thread(db)
    delete_thread(db, forum.owner.principal, thread.id)
    assert get_thread(db, forum.ann.principal, thread.id).deleted is True


def test_an_anonymous_thread_hides_its_author_from_peers_only(db, forum):
    from lectern.forums.threads import get_thread

    thread = forum.thread(db, anonymous=True)
    assert get_thread(db, forum.bob.principal, thread.id).author is None
    listed = [t for t in _list(db, forum, forum.bob).items if t.id == thread.id]
    assert listed[0].author is None and listed[0].anonymous is True
    for who in (forum.ann, forum.owner, forum.admin):
        author = get_thread(db, who.principal, thread.id).author
        assert author is not None and author.id == forum.ann.id


def test_following_can_be_turned_off_and_on(db, forum):
    from lectern.forums.threads import follow, get_thread

    thread = forum.thread(db)
    follow(db, forum.ann.principal, thread.id, on=False)
    assert get_thread(db, forum.ann.principal, thread.id).following is False
    follow(db, forum.bob.principal, thread.id, on=True)
    follow(db, forum.bob.principal, thread.id, on=True)
    assert get_thread(db, forum.bob.principal, thread.id).following is True
    with pytest.raises(Forbidden):
        follow(db, forum.outsider.principal, thread.id, on=True)
