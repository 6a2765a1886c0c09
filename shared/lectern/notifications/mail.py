"""Notification mail, delivered by the outbox relay after the notifying work committed.

Two kinds of outbox rows (topic ``mail``): ``notification`` (one notification, mailed at
once) and ``notification_digest`` (the rows the daily digest task stamped with that
digest's id). Delivery reads the current state: an account erased since, a type whose
mail was turned off since, or a digest whose rows were all read in the app meanwhile
sends nothing. Every mail carries RFC 8058 one-click unsubscribe headers with a token
signed for its user and type (``lectern.notifications.tokens``); a digest's token turns
off every type mailed daily.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from lectern.config import get_settings
from lectern.identity.models import User
from lectern.mail.factory import get_mailer
from lectern.notifications import tokens
from lectern.notifications.models import Notification
from lectern.notifications.service import preferences

# The digest lists at most this many notifications (the newest), then says how many more.
DIGEST_MAX_ITEMS = 50


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    headers: dict[str, str]


def _with_token(url: str, token: str) -> str:
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}token={quote(token, safe='')}"


def unsubscribe_headers(token: str) -> dict[str, str]:
    """RFC 8058: an HTTPS URI a mail client POSTs ``List-Unsubscribe=One-Click`` to."""
    url = _with_token(get_settings().notifications.unsubscribe_url, token)
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _link(path: str | None) -> str | None:
    if not path:
        return None
    return get_settings().notifications.app_url.rstrip("/") + path


def _footer(token: str, what: str) -> str:
    page = _with_token(get_settings().notifications.unsubscribe_page_url, token)
    return f"\n\n--\nYou get this mail for {what}. Stop these mails: {page}\n"


def compose_one(email: str, user_id: uuid.UUID, row: Notification) -> Mail:
    token = tokens.sign(user_id, row.type)
    parts = [row.title]
    if row.body:
        parts.append(row.body)
    link = _link(row.link)
    if link:
        parts.append(link)
    text = "\n\n".join(parts) + _footer(token, f"'{row.type}' notifications")
    return Mail(email, row.title, text, unsubscribe_headers(token))


def compose_digest(email: str, user_id: uuid.UUID, rows: Sequence[Notification]) -> Mail:
    token = tokens.sign(user_id, tokens.DIGEST)
    shown = rows[:DIGEST_MAX_ITEMS]
    lines = []
    for row in shown:
        link = _link(row.link)
        lines.append(f"- {row.title}" + (f"\n  {link}" if link else ""))
    more = len(rows) - len(shown)
    if more > 0:
        lines.append(f"... and {more} more in the app.")
    noun = "notification" if len(rows) == 1 else "notifications"
    subject = f"Your Lectern digest: {len(rows)} {noun}"
    text = "\n".join(lines) + _footer(token, "your daily digest")
    return Mail(email, subject, text, unsubscribe_headers(token))


def _recipient(db: Session, user_id: uuid.UUID) -> str | None:
    user = db.get(User, user_id)
    return None if user is None or user.deleted_at is not None else user.email


def mail_for(db: Session, entity_type: str, entity_id: uuid.UUID) -> Mail | None:
    """The mail a row stands for, as things are now; None when there is nothing to send."""
    if entity_type == "notification":
        row = db.get(Notification, entity_id)
        if row is None:
            return None
        email = _recipient(db, row.user_id)
        if email is None or preferences(db, row.user_id)[row.type].email != "immediate":
            return None
        return compose_one(email, row.user_id, row)
    if entity_type == "notification_digest":
        rows = list(
            db.scalars(
                select(Notification)
                .where(
                    Notification.digest_id == entity_id,
                    # Read in the app meanwhile: no need to mail it.
                    or_(Notification.read_at.is_(None), Notification.in_app.is_(False)),
                )
                .order_by(Notification.created_at.desc(), Notification.id.desc())
            )
        )
        if not rows:
            return None
        user_id = rows[0].user_id
        email = _recipient(db, user_id)
        if email is None:
            return None
        still_daily = {n for n, p in preferences(db, user_id).items() if p.email == "daily"}
        rows = [r for r in rows if r.type in still_daily]
        return compose_digest(email, user_id, rows) if rows else None
    raise ValueError(f"no mail for entity type {entity_type!r}")


def deliver(db: Session, entity_type: str, entity_id: uuid.UUID) -> None:
    """The relay's delivery of one ``mail`` row (see ``lectern.core.relay``)."""
    mail = mail_for(db, entity_type, entity_id)
    if mail is not None:
        get_mailer().send(mail.to, mail.subject, mail.text, mail.headers)
