"""Badges: rule-based awards, each a signed Open Badges 3.0 credential."""

from lectern.core.registry import ActivityHook, Context, NotificationType, PersonalData

CONTEXT = Context(
    name="badges",
    models="lectern.badges.models",
    # Awards are the learner's: exported, and deleted on erasure (their credentials then
    # answer 404).
    personal_data=(PersonalData("badge_awards"),),
    notification_types=(NotificationType("badge_awarded", "You earned a badge."),),
    activity_hooks=(
        ActivityHook(
            # lectern.core.activity's kinds
            ("xp", "course_completed", "challenge_completed"),
            "badge_award",  # migration 0020
            "lectern.badges.rules:after_award",
        ),
    ),
)
