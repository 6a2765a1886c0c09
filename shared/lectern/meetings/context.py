"""Live sessions: learners ask a course's owner for one; the owner decides."""

from lectern.core.registry import Context, NotificationType, PersonalData

CONTEXT = Context(
    name="meetings",
    models="lectern.meetings.models",
    # The requester's; a course's owner sees them but they are not theirs to keep.
    personal_data=(PersonalData("meeting_requests", user_column="requester_id"),),
    notification_types=(
        NotificationType("meeting_request", "A learner asked you for a live session."),
        NotificationType(
            "meeting_update", "A live session you asked for or were asked for changed."
        ),
    ),
)
