"""Billing: subscriptions from Polar's webhooks, and the plans' entitlements (read by the
AI quota and the teams' seats through ``lectern.billing.entitlements``)."""

from lectern.core.registry import Context, PersonalExport, UpkeepTask

CONTEXT = Context(
    name="billing",
    models="lectern.billing.models",
    upkeep=(UpkeepTask("billing_webhook_deliveries", "lectern.billing.upkeep:deliveries_task"),),
    personal_exports=(
        PersonalExport(
            "subscriptions",
            "lectern.billing.privacy:subscriptions",
            erase="lectern.billing.privacy:erase",
        ),
    ),
)
