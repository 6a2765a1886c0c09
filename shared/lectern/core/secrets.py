"""Secrets from Secrets Manager and SSM, through Powertools Parameters (imported on use)."""

from __future__ import annotations


def resolve_secret(name: str, max_age: int) -> str:
    """A Secrets Manager value, cached across invocations of one container."""
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_secret(name, max_age=max_age)
    return value if isinstance(value, str) else str(value)


def resolve_parameter(name: str, max_age: int) -> str:
    """An SSM (SecureString) parameter value, decrypted and cached."""
    from aws_lambda_powertools.utilities import parameters

    value = parameters.get_parameter(name, decrypt=True, max_age=max_age)
    return value if isinstance(value, str) else str(value)


def secret_or_value(
    *,
    value: str | None,
    dependency: str,
    setting: str,
    max_age: int,
    secret: str | None = None,
    parameter: str | None = None,
) -> str:
    """The named Secrets Manager ``secret`` (or SSM ``parameter``) when one is set, else
    the plain ``value`` (local and tests).

    ``setting`` is the plain value's variable, for the reason logged. A secret that
    cannot be read, or nothing set at all, is ``DependencyUnavailable(dependency)``: a
    503 naming what is missing, never a 500.
    """
    from lectern.errors import DependencyUnavailable

    try:
        if secret:
            return resolve_secret(secret, max_age)
        if parameter:
            return resolve_parameter(parameter, max_age)
    except Exception as exc:  # Powertools wraps every botocore failure in its own error
        raise DependencyUnavailable(
            dependency, f"the secret of {setting} is unreadable: {type(exc).__name__}"
        ) from exc
    if value:
        return value
    raise DependencyUnavailable(dependency, f"{setting} is not set, nor its secret")
