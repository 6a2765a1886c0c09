"""The installed contexts: each names a module holding its ``CONTEXT`` declaration.

Adding a context is one line here (see the README's "Adding a context"). Scheduled
upkeep runs in this order, context by context.
"""

INSTALLED: tuple[str, ...] = (
    "lectern.analytics.context",
    "lectern.assessment.context",
    "lectern.progress.context",
    "lectern.sharing.context",
    "lectern.identity.context",
    "lectern.catalog.context",
    "lectern.documents.context",
    "lectern.ai.context",
    "lectern.study.context",
    "lectern.notifications.context",
    "lectern.forums.context",
    "lectern.meetings.context",
    "lectern.teams.context",
    "lectern.billing.context",
    "lectern.challenges.context",
    "lectern.badges.context",
    "lectern.search.context",
    "lectern.audit.context",
    "lectern.backup.context",
    "lectern.core.context",
)
