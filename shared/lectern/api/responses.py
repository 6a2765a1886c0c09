"""The problem responses routes declare in the spec: each one application/problem+json
with the ``Problem`` schema, so a generated client parses a refusal as it does a result.

A router passes ``responses=problems(...)`` for what all its routes can answer, and a
route adds its own (``problems(404)``, or ``problem(409, "why")`` for a description of
its own). Any declared error response without content gets the problem's (see
``add_problem_schemas``), so ``{404: {"description": "No such badge."}}`` is one too.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lectern.api.errors import PROBLEM_MEDIA_TYPE

_REF = "#/components/schemas/{model}"


class ProblemField(BaseModel):
    field: str = Field(description="The field at fault, dotted for nested ones.")
    message: str


class Problem(BaseModel):
    """An error (RFC 9457). Some carry more: ``errors`` (422), ``dependency`` (503),
    ``limit`` and ``used`` (a quota)."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="urn:lectern:problem:<slug>")
    title: str
    status: int
    detail: str
    errors: list[ProblemField] | None = None
    dependency: str | None = None


_PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": _REF.format(model="Problem")}}}

_DESCRIPTIONS = {
    400: "The body cannot be parsed.",
    401: "No session token, or an invalid or expired one.",
    403: "The caller may not do this.",
    404: "No such resource, or not one the caller may see.",
    409: "The resource's state does not allow it.",
    413: "A declared size is over the limit.",
    415: "A declared type is not accepted.",
    422: "Invalid input; errors names the fields.",
    429: "Too many requests; Retry-After says when to try again.",
    502: "A model answered, but not in the shape asked for.",
    503: "A dependency is down; the problem names it.",
}


def problem(status: int, description: str | None = None) -> dict[int | str, dict[str, Any]]:
    return {
        status: {"description": description or _DESCRIPTIONS[status], "content": _PROBLEM_CONTENT}
    }


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {status: problem(status)[status] for status in statuses}


def add_problem_schemas(spec: dict[str, Any]) -> None:
    """Give every 4xx/5xx response without content the problem's, and put ``Problem`` in
    the components (no route returns it, so FastAPI would not). An operation with a body
    also answers 400 for one that cannot be parsed (not JSON, not UTF-8): FastAPI's, as
    its 422 is where there is input."""
    used = False
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            if "requestBody" in operation:
                operation["responses"].setdefault("400", problem(400)[400])
            for code, response in operation.get("responses", {}).items():
                if str(code)[0] in "45":
                    response.setdefault("content", _PROBLEM_CONTENT)
                    used = used or PROBLEM_MEDIA_TYPE in response["content"]
    if not used:
        return
    schema = Problem.model_json_schema(ref_template=_REF)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(schema.pop("$defs", {}))
    schemas["Problem"] = schema
