"""Audit: the append-only trail of sensitive actions, its partitions and retention.

Other contexts register their own actions (``audit_actions``) and call
``lectern.audit.service.record`` in the action's transaction."""

from lectern.core.registry import AuditAction, Context, UpkeepTask

CONTEXT = Context(
    name="audit",
    models="lectern.audit.models",
    upkeep=(
        UpkeepTask("audit_partitions", "lectern.audit.upkeep:partitions_task"),
        UpkeepTask("audit_retention", "lectern.audit.upkeep:retention_task"),
    ),
    audit_actions=(AuditAction("audit.read", "an admin read the audit trail"),),
    # The rows stay; the erased user's address and personal fields go.
    erasure_hooks=("lectern.audit.service:scrub_user",),
)
