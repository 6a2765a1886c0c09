"""What every context uses: ids, pagination, the principal, the outbox, the registry.

Core imports no context and no HTTP code; contexts import core, and ``lectern.api``
imports contexts.
"""
