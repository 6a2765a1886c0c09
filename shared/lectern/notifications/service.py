"""Notifications: what producers call (``notify``), and the inbox and preferences routes.

- ``notify`` runs in the producer's transaction: the inbox rows, the unread counters and
  the outbox rows of immediate mail commit with the work they tell of, or not at all (a
  reply rolled back notifies nobody and mails nothing).
- The unread count is a counter per user (``notification_counters``), moved by exactly
  the rows each write changed: ``notify`` adds one per in-app row, mark-read takes off
  the rows its own ``UPDATE`` turned from unread to read, so concurrent writes leave it
  exact and reading it is one primary-key lookup.
- Preferences: a type without a row of the user's has the defaults its context
  registered (``lectern.core.registry.NotificationType``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, func, select, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from lectern.core.ids import uuid7
from lectern.core.outbox import relay
from lectern.core.pagination import keyset_rows
from lectern.core.principal import Principal
from lectern.core.registry import NotificationType, get_registry
from lectern.errors import InvalidField
from lectern.identity.models import User
from lectern.notifications import tokens
from lectern.notifications.models import Notification, NotificationCounter, NotificationPreference
from lectern.notifications.schemas import (
    MarkReadIn,
    NotificationOut,
    NotificationPage,
    PreferencesIn,
    PreferencesOut,
    TypePreference,
    UnreadOut,
    UnsubscribedOut,
)

MAIL_TOPIC = "mail"
MAX_TITLE = 300
MAX_BODY = 2000
BAD_TOKEN = "not an unsubscribe token Lectern issued"  # noqa: S105 - a message


def registered_types() -> dict[str, NotificationType]:
    return get_registry().notification_types


def _type(name: str) -> NotificationType:
    found = registered_types().get(name)
    if found is None:
        raise ValueError(f"notification type {name!r} is not registered")
    return found


_BUMP_COUNTERS = text(
    "INSERT INTO notification_counters (user_id, unread)"
    " SELECT u, 1 FROM unnest(CAST(:users AS uuid[])) AS u"
    " ON CONFLICT (user_id) DO UPDATE SET unread = notification_counters.unread + 1"
)


def notify(
    db: Session,
    user_ids: Iterable[uuid.UUID],
    type_name: str,
    *,
    title: str,
    body: str = "",
    link: str | None = None,
) -> int:
    """Notify these users (in the caller's transaction; it commits). Each user's choice
    for the type decides: an inbox row, mail now (an outbox row), mail in the daily
    digest, or nothing. Erased accounts get nothing. Returns the rows written."""
    kind = _type(type_name)
    wanted = sorted(set(user_ids))
    if not wanted:
        return 0
    choices = db.execute(
        select(User.id, NotificationPreference.in_app, NotificationPreference.email)
        .outerjoin(
            NotificationPreference,
            and_(
                NotificationPreference.user_id == User.id,
                NotificationPreference.type == kind.name,
            ),
        )
        .where(User.id.in_(wanted), User.deleted_at.is_(None))
        .order_by(User.id)
    ).all()
    rows: list[dict[str, Any]] = []
    immediate: list[uuid.UUID] = []
    for user_id, chosen_in_app, chosen_email in choices:
        in_app = kind.in_app if chosen_in_app is None else chosen_in_app
        email = chosen_email or kind.email
        if not in_app and email == "off":
            continue
        row_id = uuid7()
        rows.append(
            {
                "id": row_id,
                "user_id": user_id,
                "type": kind.name,
                "title": title[:MAX_TITLE],
                "body": body[:MAX_BODY],
                "link": link,
                "in_app": in_app,
                "digest_due": email == "daily",
            }
        )
        if email == "immediate":
            immediate.append(row_id)
    if not rows:
        return 0
    db.execute(insert(Notification), rows)
    # Sorted, so two producers bumping the same users lock them in the same order.
    inbox = [r["user_id"] for r in rows if r["in_app"]]
    if inbox:
        db.execute(_BUMP_COUNTERS, {"users": [str(u) for u in inbox]})
    relay(db, MAIL_TOPIC, "notification", immediate)
    return len(rows)


def unread_count(db: Session, user_id: uuid.UUID) -> int:
    """The inbox's unread count: one primary-key read."""
    found = db.scalar(
        select(NotificationCounter.unread).where(NotificationCounter.user_id == user_id)
    )
    return found or 0


def list_notifications(
    db: Session, principal: Principal, *, unread: bool, limit: int, cursor: str | None
) -> NotificationPage:
    stmt = select(Notification).where(
        Notification.user_id == principal.user_id, Notification.in_app.is_(True)
    )
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    rows, next_cursor = keyset_rows(
        db, stmt, Notification.created_at, Notification.id, limit=limit, cursor=cursor
    )
    return NotificationPage(
        items=[NotificationOut.model_validate(r) for r in rows],
        next_cursor=next_cursor,
        unread_count=unread_count(db, principal.user_id),
    )


def mark_read(db: Session, principal: Principal, body: MarkReadIn) -> UnreadOut:
    """Mark some of the caller's notifications read (ids of anyone else's match none of
    theirs), or all of them; the counter loses exactly the rows this call changed."""
    me = principal.user_id
    stmt = (
        update(Notification)
        .where(
            Notification.user_id == me,
            Notification.in_app.is_(True),
            Notification.read_at.is_(None),
        )
        .values(read_at=func.now())
    )
    if body.ids is not None:
        stmt = stmt.where(Notification.id.in_(body.ids))
    changed = int(getattr(db.execute(stmt), "rowcount", 0) or 0)
    if changed:
        left = db.scalar(
            update(NotificationCounter)
            .where(NotificationCounter.user_id == me)
            .values(unread=NotificationCounter.unread - changed)
            .returning(NotificationCounter.unread)
        )
    else:
        left = unread_count(db, me)
    db.commit()
    return UnreadOut(unread_count=left or 0)


# -- preferences -------------------------------------------------------------------------


def preferences(db: Session, user_id: uuid.UUID) -> dict[str, TypePreference]:
    """Every registered type, with the user's choice or the type's defaults."""
    chosen = {
        p.type: TypePreference(in_app=p.in_app, email=p.email)
        for p in db.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user_id)
        )
    }
    return {
        name: chosen.get(name) or TypePreference(in_app=kind.in_app, email=kind.email)
        for name, kind in sorted(registered_types().items())
    }


def get_preferences(db: Session, principal: Principal) -> PreferencesOut:
    return PreferencesOut(types=preferences(db, principal.user_id))


def _save(db: Session, user_id: uuid.UUID, changes: dict[str, TypePreference]) -> None:
    if not changes:
        return
    stmt = insert(NotificationPreference).values(
        [
            {"user_id": user_id, "type": name, "in_app": p.in_app, "email": p.email}
            for name, p in sorted(changes.items())
        ]
    )
    db.execute(
        stmt.on_conflict_do_update(
            index_elements=[NotificationPreference.user_id, NotificationPreference.type],
            set_={
                "in_app": stmt.excluded.in_app,
                "email": stmt.excluded.email,
                "updated_at": func.now(),
            },
        )
    )


def put_preferences(db: Session, principal: Principal, body: PreferencesIn) -> PreferencesOut:
    """Change the types sent (a field left out keeps its value); an unknown type is a
    422 naming it, and nothing changes."""
    known = registered_types()
    unknown = sorted(set(body.types) - set(known))
    if unknown:
        raise InvalidField(f"types.{unknown[0]}", "not a notification type")
    current = preferences(db, principal.user_id)
    changes = {
        name: TypePreference(
            in_app=current[name].in_app if given.in_app is None else given.in_app,
            email=current[name].email if given.email is None else given.email,
        )
        for name, given in body.types.items()
    }
    _save(db, principal.user_id, changes)
    db.commit()
    return PreferencesOut(types={**current, **changes})


def unsubscribe(db: Session, token: str) -> UnsubscribedOut:
    """Turn one type's mail off (or, for a digest's token, every type mailed daily) for
    the user the token was signed for: no sign-in, as a mail client's one-click POST
    (RFC 8058) has none. Repeating it changes nothing more."""
    found = tokens.verify(token)
    if found is None:
        raise InvalidField("token", BAD_TOKEN)
    user_id, type_name = found
    known = registered_types()
    if type_name != tokens.DIGEST and type_name not in known:
        raise InvalidField("token", BAD_TOKEN)
    user = db.get(User, user_id)
    if user is not None and user.deleted_at is None:
        current = preferences(db, user_id)
        if type_name == tokens.DIGEST:
            names = [n for n, p in current.items() if p.email == "daily"]
        else:
            names = [type_name]
        _save(
            db,
            user_id,
            {n: TypePreference(in_app=current[n].in_app, email="off") for n in names},
        )
        db.commit()
    return UnsubscribedOut(type=type_name)
