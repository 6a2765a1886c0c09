"""Assessment: the question bank, exams and per-learner performance."""

from lectern.core.registry import (
    Context,
    PersonalData,
    PersonalExport,
    SearchableType,
    UpkeepTask,
    Visibility,
)

CONTEXT = Context(
    name="assessment",
    models="lectern.assessment.models",
    upkeep=(UpkeepTask("question_stats", "lectern.assessment.upkeep:question_stats_task"),),
    # Questions are private to their author (admins see all).
    searchable=(
        SearchableType(
            "question",
            "questions",
            "lectern.assessment.search:question_entries",
            Visibility(owner=True),
        ),
    ),
    # An exam takes its answers with it (ON DELETE CASCADE).
    personal_data=(
        PersonalData("exams"),
        PersonalData("learner_stats"),
        PersonalData("learner_topic_stats"),
        PersonalData("question_exposures"),
    ),
    personal_exports=(PersonalExport("exam_answers", "lectern.assessment.privacy:exam_answers"),),
    server_events=("exam_started", "exam_completed"),
)
