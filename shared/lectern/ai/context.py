"""AI: semantic search, answers with citations, usage and quotas."""

from lectern.core.registry import Context, PersonalData

CONTEXT = Context(
    name="ai",
    models="lectern.ai.models",
    personal_data=(PersonalData("ai_usage"), PersonalData("ai_usage_monthly")),
)
