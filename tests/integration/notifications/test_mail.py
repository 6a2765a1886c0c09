"""Notification mail through the outbox relay: sent after the commit, at most once more
after a crash and never lost, with RFC 8058 one-click unsubscribe headers; the daily
digest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select, update

from tests.factories import make_account

TYPE = "certificate_issued"


class Crash(BaseException):
    """What a killed worker looks like to the code around it: nothing catches it."""


class CrashingMailer:
    """The real mailer, and a crash right after its ``after``-th send returns."""

    def __init__(self, real, after: int) -> None:
        self.real, self.after, self.sent = real, after, 0

    def send(self, to, subject, text, headers=None):
        self.real.send(to, subject, text, headers)
        self.sent += 1
        if self.sent == self.after:
            raise Crash


class DownMailer:
    def send(self, to, subject, text, headers=None):
        from lectern.errors import DependencyUnavailable

        raise DependencyUnavailable("mail", "test: SES down")


def _notify(db, account, title="Certificate"):
    from lectern.notifications.service import notify

    notify(db, [account.id], TYPE, title=title, body="Well done.", link="/certificates/C-1")
    db.commit()


def _drain(**kwargs):
    from lectern.core import relay

    return relay.drain("mail", **kwargs)


def _mail(stack, account):
    return stack.sent_mail(account.user.email)


def _pending(db, accounts):
    from lectern.core.models import OutboxEntry
    from lectern.notifications.models import Notification

    return list(
        db.scalars(
            select(OutboxEntry)
            .join(Notification, Notification.id == OutboxEntry.entity_id)
            .where(
                OutboxEntry.topic == "mail",
                Notification.user_id.in_([a.id for a in accounts]),
            )
        )
    )


def test_immediate_mail_goes_after_the_commit_with_one_click_unsubscribe(db, stack):
    from lectern.notifications import service

    ann = make_account(db)
    _notify(db, ann)
    assert _mail(stack, ann) == []  # nothing is sent inside the producer's transaction
    report = _drain()
    assert report.delivered >= 1
    [mail] = _mail(stack, ann)
    assert mail.subject == "Certificate"
    assert "Well done." in mail.text
    assert "http://localhost:3000/certificates/C-1" in mail.text
    assert mail.headers["list-unsubscribe-post"] == "List-Unsubscribe=One-Click"
    url = mail.headers["list-unsubscribe"].strip("<>")
    assert url.startswith("http://localhost:8000/v1/notifications/unsubscribe?token=")
    token = parse_qs(urlparse(url).query)["token"][0]
    # The text links the human page with the same token.
    assert f"token={token}" in mail.text.replace("%2E", ".")
    assert _pending(db, [ann]) == []

    assert service.unsubscribe(db, token).type == TYPE
    assert service.get_preferences(db, ann.principal).types[TYPE].email == "off"
    _notify(db, ann, "Another")
    _drain()
    assert len(_mail(stack, ann)) == 1  # the type's mail is off now; the inbox still has it
    assert service.unread_count(db, ann.id) == 2


def test_a_worker_crash_after_claiming_sends_each_mail_at_most_once_more(db, stack, monkeypatch):
    from lectern.mail.factory import get_mailer
    from lectern.notifications import mail as notification_mail

    _drain()  # nothing else due: the batch below is these learners' mail alone
    learners = [make_account(db) for _ in range(5)]
    for account in learners:
        _notify(db, account)
    crashing = CrashingMailer(get_mailer(), after=3)
    monkeypatch.setattr(notification_mail, "get_mailer", lambda: crashing)
    with pytest.raises(Crash):
        _drain(batch_size=50)
    sent = {a.id: len(_mail(stack, a)) for a in learners}
    assert sum(sent.values()) == 3
    db.expire_all()
    # Every row is still there or deleted with its delivery: none is lost.
    assert len(_pending(db, learners)) == 5 - 2

    # Until the lease ends nobody sends them again; after it, a fresh worker does.
    monkeypatch.setattr(notification_mail, "get_mailer", get_mailer)
    _drain()
    assert {a.id: len(_mail(stack, a)) for a in learners} == sent
    later = datetime.now(UTC) + timedelta(hours=1)
    _drain(clock=lambda: later)
    counts = sorted(len(_mail(stack, a)) for a in learners)
    assert counts == [1, 1, 1, 1, 2]  # the one in flight at the crash went once more
    db.expire_all()
    assert _pending(db, learners) == []


def test_mail_down_keeps_the_rows_and_a_later_run_sends_each_once(db, stack, monkeypatch):
    from lectern.core.models import OutboxEntry
    from lectern.notifications import mail as notification_mail

    _drain()
    learners = [make_account(db) for _ in range(3)]
    for account in learners:
        _notify(db, account)
    monkeypatch.setattr(notification_mail, "get_mailer", DownMailer)
    report = _drain()
    assert report.stopped == "unavailable"
    assert all(_mail(stack, a) == [] for a in learners)
    db.expire_all()
    rows = _pending(db, learners)
    assert len(rows) == 3
    # The first failed and backs off; the rest were given back untried.
    assert sorted(r.attempts for r in rows) == [0, 0, 1]
    assert [r.last_error for r in rows if r.attempts] == ["test: SES down"]
    monkeypatch.undo()
    # The failed row waits out its backoff; make every row due now.
    db.execute(
        update(OutboxEntry)
        .where(OutboxEntry.id.in_([r.id for r in rows]))
        .values(available_at=datetime.now(UTC))
    )
    db.commit()
    _drain()
    assert [len(_mail(stack, a)) for a in learners] == [1, 1, 1]


def test_an_account_erased_before_delivery_gets_no_mail(db, stack):
    from lectern.identity.service import delete_me

    ann = make_account(db)
    email = ann.user.email
    _notify(db, ann)
    delete_me(db, ann.principal)
    _drain()
    assert stack.sent_mail(email) == []


def _prefer_daily(db, *accounts):
    from lectern.notifications import service
    from lectern.notifications.schemas import PreferencesIn

    for account in accounts:
        service.put_preferences(
            db,
            account.principal,
            PreferencesIn.model_validate({"types": {TYPE: {"email": "daily"}}}),
        )


def _digest(db, now):
    from lectern.core.upkeep import Run
    from lectern.notifications.upkeep import digest_task

    result = digest_task(db, Run(now=now, watermark=None))
    db.commit()
    return result


def test_the_daily_digest_mails_each_user_once_with_what_was_due(db, stack):
    from lectern.notifications import service
    from lectern.notifications.models import Notification
    from lectern.notifications.schemas import MarkReadIn

    ann, bob = make_account(db), make_account(db)
    _prefer_daily(db, ann, bob)
    for title in ("First", "Second", "Third"):
        _notify(db, ann, title)
    _notify(db, bob, "Bob's")
    # Bob read his in the app: his digest has nothing left to say.
    service.mark_read(db, bob.principal, MarkReadIn(all=True))
    _drain()
    assert _mail(stack, ann) == [] and _mail(stack, bob) == []

    tomorrow = datetime.now(UTC) + timedelta(days=1)
    _, details = _digest(db, tomorrow)
    assert details["digests"] >= 2
    assert _digest(db, tomorrow)[1]["digests"] == 0  # a rerun finds nothing left
    _drain()
    [mail] = _mail(stack, ann)
    assert mail.subject == "Your Lectern digest: 3 notifications"
    assert mail.text.index("Third") < mail.text.index("Second") < mail.text.index("First")
    assert mail.headers["list-unsubscribe-post"] == "List-Unsubscribe=One-Click"
    assert _mail(stack, bob) == []
    rows = db.scalars(select(Notification).where(Notification.user_id == ann.id)).all()
    assert {r.digest_due for r in rows} == {False} and len({r.digest_id for r in rows}) == 1

    token = parse_qs(urlparse(mail.headers["list-unsubscribe"].strip("<>")).query)["token"][0]
    assert service.unsubscribe(db, token).type == "digest"
    assert service.get_preferences(db, ann.principal).types[TYPE].email == "off"


def test_what_comes_after_the_digest_hour_waits_for_the_next_digest(db):
    from lectern.notifications.models import Notification

    ann = make_account(db)
    _prefer_daily(db, ann)
    _notify(db, ann)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    _digest(db, yesterday)
    row = db.scalar(select(Notification).where(Notification.user_id == ann.id))
    assert row is not None and row.digest_due is True and row.digest_id is None
