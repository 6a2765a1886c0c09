"""Every model, imported so that ``Base.metadata`` is complete (Alembic compares against it)."""

from lectern.ai import models as ai
from lectern.analytics import models as analytics
from lectern.assessment import models as assessment
from lectern.catalog import models as catalog
from lectern.core import models as core
from lectern.core.principal import UserRole
from lectern.db.base import Base
from lectern.documents import models as documents
from lectern.identity.models import Credential, Profile, User
from lectern.progress import models as progress
from lectern.search import models as search
from lectern.sharing import models as sharing

__all__ = [
    "Base",
    "Credential",
    "Profile",
    "User",
    "UserRole",
    "ai",
    "analytics",
    "assessment",
    "catalog",
    "core",
    "documents",
    "progress",
    "search",
    "sharing",
]
