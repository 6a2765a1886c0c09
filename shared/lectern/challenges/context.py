"""Challenges: time-boxed goals on a metric, joined by learners, scored by their activity."""

from lectern.core.registry import (
    ActivityHook,
    Context,
    NotificationType,
    PersonalData,
    PersonalExport,
    UpkeepTask,
)

CONTEXT = Context(
    name="challenges",
    models="lectern.challenges.models",
    upkeep=(UpkeepTask("challenge_boards", "lectern.challenges.upkeep:challenge_boards_task"),),
    personal_data=(PersonalData("challenge_credits"), PersonalData("challenge_entries")),
    personal_exports=(
        PersonalExport(
            "challenge_standings",
            "lectern.challenges.privacy:standings",
            erase="lectern.challenges.privacy:erase",
        ),
    ),
    notification_types=(
        NotificationType("challenge_completed", "You reached a challenge's target."),
    ),
    activity_hooks=(
        ActivityHook(
            # lectern.core.activity's kinds
            ("xp", "correct_answer", "lesson_completed"),
            "challenge_credit",  # migration 0020
            "lectern.challenges.scoring:after_credit",
        ),
    ),
)
