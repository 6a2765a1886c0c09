"""One runner for the role tables of the authorization matrix.

A table names, for each route, the status every caller gets. The refusals run first in
one world and must change nothing (the fingerprint, read by the owner, stays the same);
each caller who may act then acts in a world of its own, unless the route only reads.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

from tests.e2e.conftest import invoke
from tests.factories import Account

REFUSED = {401, 403, 404}


@dataclass(frozen=True)
class RoleCase:
    function: str
    method: str
    path: str  # ``{name}`` is the id of the world's field of that name
    statuses: tuple[int, ...]  # one per role, in the table's order of roles
    body: dict[str, Any] | None = None


def fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [fill(v, ids) for v in value]
    return value


def world_ids(world: Any) -> dict[str, str]:
    return {f.name: str(getattr(world, f.name)["id"]) for f in fields(world)}


def call(case: RoleCase, world: Any, account: Account | None):
    ids = world_ids(world)
    return invoke(
        case.function,
        case.method,
        case.path.format(**ids),
        token=account.token if account else None,
        body=None if case.body is None else {k: fill(v, ids) for k, v in case.body.items()},
    )


def check(
    case: RoleCase,
    roles: Sequence[str],
    actors: Mapping[str, Account | None],
    make_world: Callable[[], Any],
    fingerprint: Callable[[Any], Any],
) -> None:
    expected = dict(zip(roles, case.statuses, strict=True))
    # A 409 refuses too: the caller may act on the object but not in this way.
    refusing = [r for r in roles if expected[r] in REFUSED | {409}]
    acting = [r for r in roles if r not in refusing]
    world = make_world()
    before = fingerprint(world)
    for role in refusing:
        reply = call(case, world, actors.get(role))
        assert reply.status == expected[role], (role, reply.status, reply.body)
    assert fingerprint(world) == before
    for role in acting:
        fresh = world if case.method == "GET" else make_world()
        reply = call(case, fresh, actors.get(role))
        assert reply.status == expected[role], (role, reply.status, reply.body)
