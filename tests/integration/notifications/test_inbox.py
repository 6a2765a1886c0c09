"""The inbox: notify in the producer's transaction, an exact unread counter, mark-read,
preferences per type."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select

from tests.factories import make_account

TYPE = "certificate_issued"  # registered by progress


def _notify(db, users, *, title="Hello", commit=True, **kwargs):
    from lectern.notifications.service import notify

    written = notify(db, [u.id for u in users], TYPE, title=title, **kwargs)
    if commit:
        db.commit()
    return written


def _unread_rows(db, user):
    from lectern.notifications.models import Notification

    return db.scalar(
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.user_id == user.id,
            Notification.in_app.is_(True),
            Notification.read_at.is_(None),
        )
    )


def _mail_rows(db, notification_ids):
    from lectern.core.models import OutboxEntry

    return list(
        db.scalars(
            select(OutboxEntry.entity_id).where(
                OutboxEntry.topic == "mail", OutboxEntry.entity_id.in_(notification_ids)
            )
        )
    )


def test_notify_fills_the_inbox_newest_first_with_its_count(db):
    from lectern.notifications import service

    ann = make_account(db)
    for n in range(5):
        _notify(db, [ann], title=f"N{n}", body="body", link=f"/x/{n}")
    first = service.list_notifications(db, ann.principal, unread=False, limit=3, cursor=None)
    assert [i.title for i in first.items] == ["N4", "N3", "N2"]
    assert first.unread_count == 5
    second = service.list_notifications(
        db, ann.principal, unread=False, limit=3, cursor=first.next_cursor
    )
    assert [i.title for i in second.items] == ["N1", "N0"]
    assert second.next_cursor is None
    assert second.items[0].link == "/x/1" and second.items[0].read_at is None


def test_mark_read_changes_only_the_callers_rows_and_the_counter_by_exactly_them(db):
    from lectern.notifications import service
    from lectern.notifications.schemas import MarkReadIn

    ann, bob = make_account(db), make_account(db)
    for _ in range(3):
        _notify(db, [ann, bob])
    ann_ids = [
        i.id
        for i in service.list_notifications(
            db, ann.principal, unread=False, limit=10, cursor=None
        ).items
    ]
    bob_ids = [
        i.id
        for i in service.list_notifications(
            db, bob.principal, unread=False, limit=10, cursor=None
        ).items
    ]

    # Bob names Ann's notifications: nothing of hers changes, nor his count.
    assert service.mark_read(db, bob.principal, MarkReadIn(ids=ann_ids)).unread_count == 3
    assert _unread_rows(db, ann) == 3
    assert service.unread_count(db, ann.id) == 3

    assert service.mark_read(db, ann.principal, MarkReadIn(ids=ann_ids[:2])).unread_count == 1
    # Marking them again takes nothing more off.
    assert service.mark_read(db, ann.principal, MarkReadIn(ids=ann_ids[:2])).unread_count == 1
    unread = service.list_notifications(db, ann.principal, unread=True, limit=10, cursor=None)
    assert [i.id for i in unread.items] == ann_ids[2:]
    assert service.mark_read(db, bob.principal, MarkReadIn(all=True)).unread_count == 0
    assert _unread_rows(db, bob) == 0
    assert service.unread_count(db, ann.id) == 1
    assert bob_ids


def test_the_counter_stays_exact_under_concurrent_notify_and_mark_read(db):
    from lectern.db.engine import get_sessionmaker
    from lectern.notifications import service
    from lectern.notifications.schemas import MarkReadIn

    ann = make_account(db)
    for _ in range(20):
        _notify(db, [ann])
    errors: list[BaseException] = []

    def producer():
        try:
            with get_sessionmaker()() as session:
                for _ in range(10):
                    _notify(session, [ann])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader():
        try:
            with get_sessionmaker()() as session:
                for _ in range(5):
                    service.mark_read(session, ann.principal, MarkReadIn(all=True))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=producer) for _ in range(3)]
    threads += [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    db.expire_all()
    assert service.unread_count(db, ann.id) == _unread_rows(db, ann)


def test_a_rolled_back_producer_notifies_nobody_and_mails_nothing(db):
    from lectern.notifications import service
    from lectern.notifications.models import Notification

    ann = make_account(db)
    _notify(db, [ann], title="kept back", commit=False)
    ids = list(db.scalars(select(Notification.id).where(Notification.user_id == ann.id)))
    assert len(ids) == 1 and _mail_rows(db, ids) == ids  # written, in the transaction
    db.rollback()
    assert db.scalar(select(func.count()).where(Notification.user_id == ann.id)) == 0
    assert _mail_rows(db, ids) == []
    assert service.unread_count(db, ann.id) == 0


def test_preferences_decide_inbox_and_mail(db):
    from lectern.notifications import service
    from lectern.notifications.models import Notification
    from lectern.notifications.schemas import PreferencesIn

    mail_only, nothing, daily = make_account(db), make_account(db), make_account(db)
    for account, choice in (
        (mail_only, {"in_app": False}),
        (nothing, {"in_app": False, "email": "off"}),
        (daily, {"email": "daily"}),
    ):
        service.put_preferences(
            db, account.principal, PreferencesIn.model_validate({"types": {TYPE: choice}})
        )
    assert _notify(db, [mail_only, nothing, daily]) == 2

    rows = {
        r.user_id: r
        for r in db.scalars(
            select(Notification).where(
                Notification.user_id.in_([mail_only.id, nothing.id, daily.id])
            )
        )
    }
    assert set(rows) == {mail_only.id, daily.id}
    assert (rows[mail_only.id].in_app, rows[mail_only.id].digest_due) == (False, False)
    assert (rows[daily.id].in_app, rows[daily.id].digest_due) == (True, True)
    # Mail now only for the immediate one; the daily one waits for the digest.
    assert _mail_rows(db, [r.id for r in rows.values()]) == [rows[mail_only.id].id]
    assert service.unread_count(db, mail_only.id) == 0
    assert (
        service.list_notifications(
            db, mail_only.principal, unread=False, limit=5, cursor=None
        ).items
        == []
    )
    assert service.unread_count(db, daily.id) == 1


def test_preferences_list_every_type_and_change_only_what_is_sent(db):
    from lectern.errors import InvalidField
    from lectern.notifications import service
    from lectern.notifications.schemas import PreferencesIn

    ann = make_account(db)
    before = service.get_preferences(db, ann.principal).types
    assert before[TYPE].model_dump() == {"in_app": True, "email": "immediate"}
    changed = service.put_preferences(
        db, ann.principal, PreferencesIn.model_validate({"types": {TYPE: {"email": "daily"}}})
    )
    assert changed.types[TYPE].model_dump() == {"in_app": True, "email": "daily"}
    with pytest.raises(InvalidField) as refused:
        service.put_preferences(
            db,
            ann.principal,
            PreferencesIn.model_validate({"types": {TYPE: {"email": "off"}, "no_such_type": {}}}),
        )
    assert refused.value.field == "types.no_such_type"
    db.rollback()
    assert service.get_preferences(db, ann.principal).types[TYPE].email == "daily"


def test_an_erased_account_is_notified_of_nothing(db):
    from lectern.identity.service import delete_me
    from lectern.notifications.models import Notification

    ann = make_account(db)
    delete_me(db, ann.principal)
    assert _notify(db, [ann]) == 0
    assert db.scalar(select(func.count()).where(Notification.user_id == ann.id)) == 0


def test_a_certificate_notifies_its_learner(db):
    from lectern.notifications.models import Notification
    from lectern.progress import service as progress
    from tests.factories import make_course

    author, learner = make_account(db, "instructor"), make_account(db)
    course, lessons = make_course(db, author, lessons=2)
    progress.enroll(db, learner.principal, course.id)
    for lesson in lessons:
        progress.complete_lesson(db, learner.principal, lesson.id)
    # Badges other tests made (any course completed, XP) may be announced too.
    [row] = db.scalars(
        select(Notification).where(
            Notification.user_id == learner.id, Notification.type == "certificate_issued"
        )
    )
    assert course.title in row.title
    assert row.link is not None and row.link.startswith("/certificates/")


def test_an_unknown_type_is_a_programming_error(db):
    from lectern.notifications.service import notify

    with pytest.raises(ValueError, match="not registered"):
        notify(db, [uuid.uuid4()], "no_such_type", title="x")
