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
