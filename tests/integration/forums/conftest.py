from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.factories import Account, make_account, make_course


@dataclass
class Forum:
    course: Any
    owner: Account
    ann: Account  # enrolled
    bob: Account  # enrolled
    outsider: Account  # a learner not enrolled
    admin: Account

    def thread(self, db, author: Account | None = None, title="How do cells divide?", **kwargs):
        from lectern.forums.schemas import ThreadIn
        from lectern.forums.threads import create_thread

        data = ThreadIn(title=title, body=kwargs.pop("body", "Mitosis *or* meiosis?"), **kwargs)
        return create_thread(db, (author or self.ann).principal, self.course.id, data)

    def reply(self, db, thread_id, author: Account | None = None, body="An answer", **kwargs):
        from lectern.forums.replies import create_reply
        from lectern.forums.schemas import ReplyIn

        data = ReplyIn(body=body, **kwargs)
        return create_reply(db, (author or self.bob).principal, thread_id, data)


def make_forum(db) -> Forum:
    from lectern.progress.service import enroll

    owner = make_account(db, "instructor", "Owner")
    course, _ = make_course(db, owner, lessons=1)
    ann, bob = make_account(db, name="Ann"), make_account(db, name="Bob")
    for learner in (ann, bob):
        enroll(db, learner.principal, course.id)
    return Forum(course, owner, ann, bob, make_account(db, name="Out"), make_account(db, "admin"))


@pytest.fixture
def forum(db) -> Forum:
    return make_forum(db)
