"""Notifications: the inbox, preferences and mail. The types are the producers' own
(each context registers its ``NotificationType``s)."""

from lectern.core.registry import Context, OutboxRelay, PersonalData, UpkeepTask

CONTEXT = Context(
    name="notifications",
    models="lectern.notifications.models",
    upkeep=(UpkeepTask("notification_digest", "lectern.notifications.upkeep:digest_task"),),
    relays=(
        OutboxRelay(
            "mail",
            ("notification", "notification_digest"),
            "lectern.notifications.mail:deliver",
        ),
    ),
    personal_data=(
        PersonalData("notifications"),
        PersonalData("notification_counters"),
        PersonalData("notification_preferences"),
    ),
)
