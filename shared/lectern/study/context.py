"""Study: a learner's flashcards and notes, their FSRS reviews, and generated cards."""

from lectern.core.registry import Context, PersonalData

CONTEXT = Context(
    name="study",
    models="lectern.study.models",
    # Reviews also go with their item (ON DELETE CASCADE).
    personal_data=(PersonalData("study_items"), PersonalData("study_reviews")),
)
