"""Sharing: public links to a course, lesson or exam."""

from lectern.core.registry import Context, PersonalData, UpkeepTask

CONTEXT = Context(
    name="sharing",
    models="lectern.sharing.models",
    upkeep=(UpkeepTask("shares", "lectern.sharing.upkeep:shares_task"),),
    personal_data=(PersonalData("shares", user_column="owner_id"),),
)
