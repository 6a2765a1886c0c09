"""Analytics: raw events, daily rollups, and their upkeep."""

from lectern.core.registry import Context, PersonalData, UpkeepTask

CONTEXT = Context(
    name="analytics",
    models="lectern.analytics.models",
    upkeep=(
        UpkeepTask("partitions", "lectern.analytics.upkeep:partitions_task"),
        UpkeepTask("retention", "lectern.analytics.upkeep:retention_task"),
        UpkeepTask("rollups", "lectern.analytics.upkeep:rollups_task"),
    ),
    # events has no index on user_id (every insert would pay for one): export and
    # erasure scan each monthly partition, which is acceptable for a request this rare.
    personal_data=(PersonalData("events"), PersonalData("daily_user_activity")),
)
