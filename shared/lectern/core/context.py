"""Core's own tables and upkeep: the outbox and the scheduled tasks' state."""

from lectern.core.registry import Context, UpkeepTask

CONTEXT = Context(
    name="core",
    models="lectern.core.models",
    # Outbox rows that kept failing, once they are old enough (see lectern.core.outbox).
    upkeep=(UpkeepTask("outbox", "lectern.core.outbox:outbox_task"),),
)
