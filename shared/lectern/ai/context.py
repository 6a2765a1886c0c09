"""AI: semantic search, answers with citations, conversations, usage and quotas."""

from lectern.core.registry import Context, PersonalData

CONTEXT = Context(
    name="ai",
    models="lectern.ai.models",
    personal_data=(
        PersonalData("ai_usage"),
        PersonalData("ai_usage_monthly"),
        PersonalData("ai_chats"),
        PersonalData("ai_chat_messages"),
    ),
)
