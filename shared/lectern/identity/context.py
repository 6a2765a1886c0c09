"""Identity: accounts, credentials, sessions and roles. Export and erasure of the
account itself are identity's own (``lectern.identity.service``)."""

from lectern.core.registry import AuditAction, Context, UpkeepTask

CONTEXT = Context(
    name="identity",
    models="lectern.identity.models",
    upkeep=(UpkeepTask("sessions", "lectern.identity.upkeep:sessions_task"),),
    audit_actions=(
        AuditAction("identity.role_changed", "an admin changed a user's role"),
        AuditAction("identity.exported", "a user exported their data"),
        AuditAction("identity.erased", "a user erased their account"),
    ),
)
