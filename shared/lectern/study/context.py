"""Study: a learner's flashcards and notes, their FSRS reviews, and generated cards."""

from lectern.core.registry import Context, NotificationType, PersonalData, UpkeepTask

CONTEXT = Context(
    name="study",
    models="lectern.study.models",
    upkeep=(UpkeepTask("study_reminders", "lectern.study.upkeep:reminders_task"),),
    notification_types=(
        NotificationType("study_due", "Flashcards are due for review (once a day).", email="daily"),
    ),
    # Reviews also go with their item (ON DELETE CASCADE).
    personal_data=(PersonalData("study_items"), PersonalData("study_reviews")),
)
