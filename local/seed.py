"""Demo data for the local stack: an admin and an instructor (see README)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from lectern.db.models.identity import User, UserRole
from lectern.identity.service import create_account

DEMO_PASSWORD = "lectern-demo-pass"  # noqa: S105 - printed at start-up; local stack only
DEMO_ACCOUNTS = (
    ("admin@lectern.local", "Ada Admin", UserRole.admin),
    ("instructor@lectern.local", "Ian Instructor", UserRole.instructor),
)


def seed(db: Session) -> list[str]:
    """Create the demo accounts that are missing; return the emails created."""
    created = []
    for email, name, role in DEMO_ACCOUNTS:
        if db.scalar(select(User.id).where(User.email == email)) is None:
            create_account(db, email=email, name=name, password=DEMO_PASSWORD, role=role)
            created.append(email)
    db.commit()
    return created
