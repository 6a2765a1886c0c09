"""Domain errors. Services raise these; ``lectern.api.errors`` maps them to HTTP once."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Not found"


class Unauthorized(DomainError):
    status, slug, title = 401, "unauthorized", "Unauthorized"


class Forbidden(DomainError):
    status, slug, title = 403, "forbidden", "Forbidden"


class Conflict(DomainError):
    status, slug, title = 409, "conflict", "Conflict"


class InvalidField(DomainError):
    """Input that passed the schema but breaks a rule; names the field."""

    status, slug, title = 422, "validation-error", "Invalid input"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class PayloadTooLarge(InvalidField):
    """A declared size over the limit (413), naming the field."""

    status, slug, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(InvalidField):
    """A declared type that is not accepted (415), naming the field."""

    status, slug, title = 415, "unsupported-media-type", "Unsupported media type"


class QuotaExceeded(DomainError):
    """A per-user allowance is used up until the user frees some of it (409): not a
    matter of waiting, so no Retry-After. ``limit`` and ``used`` go in the problem."""

    status, slug, title = 409, "quota-exceeded", "Quota exceeded"

    def __init__(self, detail: str, *, limit: int, used: int, field: str | None = None) -> None:
        super().__init__(detail)
        self.limit = limit
        self.used = used
        self.field = field


class RateLimited(DomainError):
    status, slug, title = 429, "rate-limited", "Too many requests"

    def __init__(self, retry_after_seconds: int, detail: str | None = None) -> None:
        super().__init__(detail or "Too many attempts; try again later.")
        self.retry_after_seconds = max(1, retry_after_seconds)


class BudgetExhausted(DomainError):
    """The platform's spending limit for a paid service is reached until ``retry_after``."""

    status, slug, title = 503, "budget-exhausted", "Spending limit reached"

    def __init__(self, retry_after_seconds: int, detail: str) -> None:
        super().__init__(detail)
        self.retry_after_seconds = max(1, retry_after_seconds)


class BadModelReply(DomainError):
    """A model answered, but not in the shape asked for: nothing of it is kept (502)."""

    status, slug, title = 502, "bad-model-reply", "Bad reply from the model"


class DependencyUnavailable(DomainError):
    """An outside system (database, kv, storage, mail ...) did not answer."""

    status, slug, title = 503, "dependency-unavailable", "Service unavailable"

    def __init__(self, dependency: str, reason: str | None = None) -> None:
        # The caller learns which dependency; the reason is for the logs only.
        super().__init__(f"{dependency} is unavailable")
        self.dependency = dependency
        self.reason = reason or "unavailable"
