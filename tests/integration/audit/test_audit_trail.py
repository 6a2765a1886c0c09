"""The audit trail: one row per audited action, in the action's transaction; erasure
keeps the rows and clears their personal fields; the table refuses other changes."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.factories import make_account, make_course


def _rows(db: Session, action: str, target: uuid.UUID) -> list:
    from lectern.audit.models import AuditEntry

    db.expire_all()
    return list(
        db.scalars(
            select(AuditEntry).where(AuditEntry.action == action, AuditEntry.target_id == target)
        )
    )


@pytest.fixture
def in_request():
    """Serve the service calls as if inside an HTTP request (id and address known)."""
    from lectern.core.request import RequestInfo, begin_request, end_request

    token = begin_request(RequestInfo(request_id="req-audit-1", source_ip="198.51.100.7"))
    yield
    end_request(token)


def test_a_role_change_writes_one_row_with_who_what_and_where(db: Session, in_request):
    from lectern.core.principal import UserRole
    from lectern.identity import service

    admin = make_account(db, "admin")
    user = make_account(db)
    service.set_role(db, user.id, UserRole.instructor, actor_id=admin.id)
    [row] = _rows(db, "identity.role_changed", user.id)
    assert row.actor_id == admin.id and row.target_type == "user"
    assert row.details == {"from": "student", "to": "instructor"}
    assert row.request_id == "req-audit-1" and row.source_ip == "198.51.100.7"
    assert row.personal == {"email": user.user.email}


def test_a_role_change_that_fails_writes_no_row(db: Session, settings_env):
    from lectern.core.principal import UserRole
    from lectern.errors import DependencyUnavailable
    from lectern.identity import service
    from tests.conftest import reset_clients

    admin = make_account(db, "admin")
    user = make_account(db)
    # The session store is down: the role change is rolled back, and its audit row too.
    settings_env.setenv("LECTERN_KV_URL", "http://127.0.0.1:9")
    reset_clients()
    with pytest.raises(DependencyUnavailable):
        service.set_role(db, user.id, UserRole.instructor, actor_id=admin.id)
    db.rollback()
    assert _rows(db, "identity.role_changed", user.id) == []


def test_an_export_writes_one_row(db: Session):
    from lectern.identity import service

    user = make_account(db)
    service.export_me(db, user.principal)
    service.export_me(db, user.principal)
    rows = _rows(db, "identity.exported", user.id)
    assert len(rows) == 2 and all(r.actor_id == user.id for r in rows)


def test_erasure_writes_one_row_keeps_the_trail_and_clears_personal_fields(db: Session, in_request):
    from lectern.core.principal import UserRole
    from lectern.identity import service

    admin = make_account(db, "admin")
    user = make_account(db)
    service.set_role(db, user.id, UserRole.instructor, actor_id=admin.id)
    service.delete_me(db, user.principal)
    [erased] = _rows(db, "identity.erased", user.id)
    [changed] = _rows(db, "identity.role_changed", user.id)
    for row in (erased, changed):
        assert row.source_ip is None and row.personal is None
    # The ids and what happened stay.
    assert changed.actor_id == admin.id and changed.details["to"] == "instructor"
    assert erased.actor_id == user.id and erased.request_id == "req-audit-1"


def test_an_erasure_that_fails_writes_no_row(db: Session, settings_env):
    from lectern.errors import DependencyUnavailable
    from lectern.identity import service
    from tests.conftest import reset_clients

    user = make_account(db)
    settings_env.setenv("LECTERN_KV_URL", "http://127.0.0.1:9")
    reset_clients()
    with pytest.raises(DependencyUnavailable):
        service.delete_me(db, user.principal)
    db.rollback()
    assert _rows(db, "identity.erased", user.id) == []


def test_admin_reads_of_a_roster_and_a_learner_are_recorded_but_the_owners_are_not(db: Session):
    from lectern.progress import roster
    from lectern.progress.service import enroll

    owner = make_account(db, "instructor")
    admin = make_account(db, "admin")
    learner = make_account(db)
    course, _ = make_course(db, owner)
    db.commit()
    enroll(db, learner.principal, course.id)
    roster.roster(db, owner.principal, course.id, limit=10, cursor=None)
    assert _rows(db, "progress.roster_read", course.id) == []
    roster.roster(db, admin.principal, course.id, limit=10, cursor=None)
    [read] = _rows(db, "progress.roster_read", course.id)
    assert read.actor_id == admin.id and read.details == {"learners": [str(learner.id)]}
    roster.learner_detail(db, owner.principal, course.id, learner.id)
    assert _rows(db, "progress.learner_read", learner.id) == []
    roster.learner_detail(db, admin.principal, course.id, learner.id)
    [detail] = _rows(db, "progress.learner_read", learner.id)
    assert detail.details == {"course_id": str(course.id)}


def test_rows_cannot_be_changed_or_deleted(db: Session):
    from lectern.audit.service import record

    user = make_account(db)
    record(db, "identity.exported", actor_id=user.id, target_type="user", target_id=user.id)
    db.commit()
    for statement in (
        "UPDATE audit_log SET action = 'x' WHERE target_id = :t",
        "UPDATE audit_log SET source_ip = '10.0.0.1' WHERE target_id = :t",
        "DELETE FROM audit_log WHERE target_id = :t",
    ):
        with pytest.raises(DBAPIError, match="audit_log"):
            db.execute(text(statement), {"t": user.id})
        db.rollback()
    assert len(_rows(db, "identity.exported", user.id)) == 1


def test_an_unregistered_action_is_refused(rolled_back_db: Session):
    from lectern.audit.service import record

    with pytest.raises(ValueError, match="not registered"):
        record(rolled_back_db, "billing.nonsense", actor_id=None)


def test_every_action_recorded_in_the_code_is_registered():
    """A call ``record(db, "<name>", …)`` or ``audit(db, "<name>", …)`` names a registered
    action (the writer refuses others at run time; this catches them before)."""
    import re
    from pathlib import Path

    from lectern.core.registry import get_registry

    root = Path(__file__).parents[3] / "shared" / "lectern"
    used = set()
    for path in root.rglob("*.py"):
        used |= set(
            re.findall(r"\b(?:audit|record)\(\s*db,\s*\"([a-z_]+\.[a-z_]+)\"", path.read_text())
        )
    assert used and used <= set(get_registry().audit_actions)


def test_retention_drops_whole_old_months_and_partitions_are_made_ahead(db: Session):
    from lectern.audit import upkeep
    from lectern.core.upkeep import Run
    from lectern.db.partitions import ensure_monthly, list_monthly

    ensure_monthly(db.connection(), "audit_log", date(2001, 1, 1), date(2001, 1, 1))
    db.commit()
    now = db.scalar(select(func.now()))
    result = upkeep.retention_task(db, Run(now=now, watermark=None))
    assert "audit_log_p200101" in result[1]["dropped"]
    upkeep.partitions_task(db, Run(now=datetime(2031, 5, 3, tzinfo=UTC), watermark=None))
    names = {p.name for p in list_monthly(db.connection(), "audit_log")}
    db.rollback()
    assert {"audit_log_p203105", "audit_log_p203106", "audit_log_p203107"} <= names
    assert "audit_log_p200101" not in names
