"""Every model, imported so that ``Base.metadata`` is complete (Alembic compares against it)."""

from lectern.analytics import models as analytics
from lectern.assessment import models as assessment
from lectern.catalog import models as catalog
from lectern.db.base import Base
from lectern.documents import models as documents
from lectern.identity.models import Credential, Profile, User, UserRole
from lectern.progress import models as progress
from lectern.search import models as search
from lectern.sharing import models as sharing

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
