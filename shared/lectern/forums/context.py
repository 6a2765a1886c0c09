"""Forums: a forum per course, for its enrolled learners, its owner and admins."""

from lectern.core.registry import (
    Context,
    NotificationType,
    PersonalData,
    PersonalExport,
    SearchableType,
    Visibility,
)

CONTEXT = Context(
    name="forums",
    models="lectern.forums.models",
    searchable=(
        # Threads (with their replies' text): the course's owner, and learners enrolled
        # in the published course. A course's owner and publication are in the entries.
        SearchableType(
            "thread",
            "forum_threads",
            "lectern.forums.search:thread_entries",
            Visibility(owner=True, enrolled=True),
            follows={"course": "lectern.forums.search:threads_of_courses"},
        ),
    ),
    personal_data=(
        PersonalData("forum_thread_votes"),
        PersonalData("forum_reply_votes"),
        PersonalData("forum_follows"),
        PersonalData("forum_flags"),
    ),
    # Posts stay when their author leaves: the discussion stays readable, anonymized.
    personal_exports=(
        PersonalExport(
            "forum_posts", "lectern.forums.privacy:posts", erase="lectern.forums.privacy:erase"
        ),
    ),
    notification_types=(
        NotificationType("thread_reply", "A thread you follow got a reply.", email="daily"),
        NotificationType("reply_endorsed", "A moderator endorsed your reply."),
    ),
)
