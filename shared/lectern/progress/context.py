"""Progress: enrollment, lesson completion, certificates, XP and leaderboards."""

from lectern.core.registry import (
    AuditAction,
    Context,
    NotificationType,
    PersonalData,
    UpkeepTask,
)

CONTEXT = Context(
    name="progress",
    models="lectern.progress.models",
    upkeep=(UpkeepTask("leaderboards", "lectern.progress.upkeep:leaderboards_task"),),
    personal_data=(
        PersonalData("enrollments"),
        PersonalData("lesson_completions"),
        PersonalData("certificates"),
        PersonalData("xp_awards"),
    ),
    server_events=("course_enrolled", "lesson_completed"),
    notification_types=(
        NotificationType("certificate_issued", "A course you completed issued your certificate."),
    ),
    audit_actions=(
        AuditAction("progress.roster_read", "an admin read a course's roster (with emails)"),
        AuditAction("progress.learner_read", "an admin read one learner's detail in a course"),
    ),
)
