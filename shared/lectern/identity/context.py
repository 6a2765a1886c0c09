"""Identity: accounts, credentials, sessions and roles. Export and erasure of the
account itself are identity's own (``lectern.identity.service``)."""

from lectern.core.registry import Context, UpkeepTask

CONTEXT = Context(
    name="identity",
    models="lectern.identity.models",
    upkeep=(UpkeepTask("sessions", "lectern.identity.upkeep:sessions_task"),),
)
