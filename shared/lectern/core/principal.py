"""Who is calling: the signed-in user and their role, as every context sees them."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass


class UserRole(enum.StrEnum):
    student = "student"
    instructor = "instructor"
    admin = "admin"


@dataclass(frozen=True)
class Principal:
    user_id: uuid.UUID
    role: UserRole
    token_hash: str
