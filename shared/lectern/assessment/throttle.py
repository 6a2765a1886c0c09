"""Exam creation's throttle: a learner's exam starts per hour (each draw writes its
questions and the learner's exposures)."""

from __future__ import annotations

from lectern.config import get_settings
from lectern.core.throttle import check


def check_exam_starts(user_id: str) -> None:
    check("exams", user_id, get_settings().assessment.starts_per_hour, 3600)
