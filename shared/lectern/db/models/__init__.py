"""Every model, imported so that ``Base.metadata`` is complete (Alembic compares against it)."""

from lectern.db.base import Base
from lectern.db.models import (
    analytics,
    assessment,
    catalog,
    documents,
    progress,
    search,
    sharing,
)
from lectern.db.models.identity import Credential, Profile, User, UserRole

__all__ = [
    "Base",
    "Credential",
    "Profile",
    "User",
    "UserRole",
    "analytics",
    "assessment",
    "catalog",
    "documents",
    "progress",
    "search",
    "sharing",
]
