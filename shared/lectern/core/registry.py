"""What each context brings, read by central code that never names a context.

A context declares one ``Context`` in ``lectern/<context>/context.py``, and
``lectern.contexts.INSTALLED`` lists the installed ones. Central code asks the registry:

- the scheduler (``lectern.core.upkeep``) runs every registered upkeep task;
- the search drain and ``GET /v1/search`` load and filter every registered searchable
  type, and both index adapters apply its declared ``Visibility``;
- export and erasure (``lectern.privacy``) cover every registered personal-data table;
- ``POST /v1/events`` refuses every event type a context records on the server;
- the outbox relay (``lectern.core.relay``) delivers every registered relay topic;
- notification preferences and producers know every registered notification type;
- the audit trail (``lectern.audit``) records only registered actions;
- activity (``lectern.core.activity``: XP paid, answers, lessons) reaches every
  registered activity hook, in the transaction of the work;
- Alembic and the tests import every context's models.

The declarations are plain data with dotted ``"module:attribute"`` references, so reading
the registry imports no service, model or adapter: a function that only needs the event
types does not pay for the search loaders.
"""

from __future__ import annotations

import importlib
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from lectern import contexts

if TYPE_CHECKING:
    from sqlalchemy import MetaData


def resolve(reference: str) -> Any:
    """The object a ``"package.module:attribute"`` reference names (imported on demand)."""
    module, _, attribute = reference.partition(":")
    if not attribute:
        raise ValueError(f"not a 'module:attribute' reference: {reference!r}")
    return getattr(importlib.import_module(module), attribute)


@dataclass(frozen=True)
class UpkeepTask:
    """A scheduled task: ``run(db, Run) -> (watermark, details)``, idempotent, one
    transaction under its own advisory lock (see ``lectern.core.upkeep``). ``schedule``
    names the scheduled function that runs it: the hourly ``aggregate`` by default."""

    name: str
    run: str
    schedule: str = "aggregate"


@dataclass(frozen=True)
class Visibility:
    """Who finds an index entry besides admins (who find everything). Each flag admits
    more callers; both adapters translate these same flags into their query.

    - ``published``: anyone, signed in or not, once the entry is published;
    - ``owner``: the entry's ``owner_id``;
    - ``enrolled``: learners enrolled in the entry's ``course_id``, once it is published.
    """

    published: bool = False
    owner: bool = False
    enrolled: bool = False


@dataclass(frozen=True)
class SearchableType:
    """An entity type the full-text index carries.

    ``loader(db, ids) -> list[IndexDoc]`` reads the current entries (a missing id is a
    deleted object). ``dependents`` names other searchable types whose entries carry
    this object's fields (a course's publication is in its lessons' entries):
    ``{type: "module:fn"}`` with ``fn(db, ids) -> {id: [dependent ids]}``. ``table``
    holds the objects (by ``id``), for a re-index; ``embedded`` objects are re-embedded
    by one too.
    """

    name: str
    table: str
    loader: str
    visibility: Visibility
    dependents: dict[str, str] = field(default_factory=dict)
    embedded: bool = False
    # The other side of ``dependents``, declared by the dependent type: ``{parent type:
    # "module:fn"}``, so a context whose entries carry another context's fields (a forum
    # thread carries its course's owner and publication) declares it without that
    # context naming it.
    follows: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PersonalData:
    """A table whose rows belong to one user, named by ``user_column``: exported by
    ``GET /v1/me/export`` and deleted by ``DELETE /v1/me`` (rows reached through them
    go by ``ON DELETE CASCADE``)."""

    table: str
    user_column: str = "user_id"


@dataclass(frozen=True)
class PersonalExport:
    """An export section a context computes itself (rows reached through a parent, or
    authored content that stays): ``export(db, user_id) -> list[dict]``. ``erase``,
    when set, is ``erase(db, user_id) -> None``: it anonymizes what stays on erasure, in
    the erasure's transaction, before the personal-data tables are deleted."""

    name: str
    export: str
    erase: str | None = None


@dataclass(frozen=True)
class OutboxRelay:
    """An outbox topic delivered by the relay worker (``lectern.core.relay``), not by the
    search drain: mail, webhooks ... Writes add rows with ``lectern.core.outbox.relay``
    in their own transaction; ``deliver(db, entity_type, entity_id) -> None`` then runs
    once per row after that commit, at least once (a crash between the delivery and its
    row's deletion delivers once more). It raises ``DependencyUnavailable`` when the
    outside system is down (the row is retried, backing off), and returns quietly for an
    object gone since."""

    topic: str
    entity_types: tuple[str, ...]
    deliver: str


@dataclass(frozen=True)
class NotificationType:
    """A kind of notification a context produces, with the preferences a user has until
    they choose: in the inbox or not, and mail ``off``, ``immediate`` or ``daily``."""

    name: str
    description: str
    in_app: bool = True
    email: str = "immediate"


@dataclass(frozen=True)
class AuditAction:
    """An action the audit trail records (``lectern.audit.service.record``), written in
    the action's own transaction. ``name`` is ``<context>.<verb>``, e.g.
    ``identity.role_changed``; ``description`` says what the row means."""

    name: str
    description: str


@dataclass(frozen=True)
class ActivityHook:
    """What a context does with learner activity, in the transaction that records it
    (``lectern.core.activity``).

    ``function`` names a SQL function of the context's migration, called with the
    activity of one ``record`` call as arrays (``kinds text[], users uuid[], sources
    uuid[], amounts integer[], ats timestamptz[], courses uuid[], subjects uuid[], xp
    integer[], streaks integer[]``) and returning ``jsonb``: an array of what it did, or
    null for nothing. Every hook of a call runs in one statement, so activity costs one
    round trip whatever listens, and each function's plans are cached in the session.
    It must be idempotent by each activity's source: a retried request reports the same
    activity again. ``then(db, results)`` runs in Python afterwards, only when the
    function did something (a notification, a copy for after the commit). ``kinds`` are
    the kinds it reads: a call with none of them skips it."""

    kinds: tuple[str, ...]
    function: str
    then: str | None = None

    def __post_init__(self) -> None:
        if not _SQL_NAME.fullmatch(self.function):
            raise ValueError(f"not a SQL function name: {self.function!r}")


_SQL_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


@dataclass(frozen=True)
class Context:
    name: str
    models: str | None = None
    upkeep: tuple[UpkeepTask, ...] = ()
    searchable: tuple[SearchableType, ...] = ()
    personal_data: tuple[PersonalData, ...] = ()
    personal_exports: tuple[PersonalExport, ...] = ()
    # ``fn(db, user_id) -> list[str]``: bucket keys of the user's objects, deleted with
    # their rows on erasure.
    personal_objects: tuple[str, ...] = ()
    # Event types only the server records: POST /v1/events refuses them.
    server_events: tuple[str, ...] = ()
    relays: tuple[OutboxRelay, ...] = ()
    notification_types: tuple[NotificationType, ...] = ()
    audit_actions: tuple[AuditAction, ...] = ()
    # ``fn(db, user_id) -> None``, run in the erasure's transaction: for rows that stay
    # but hold personal fields (the audit trail keeps its rows, without them).
    erasure_hooks: tuple[str, ...] = ()
    activity_hooks: tuple[ActivityHook, ...] = ()


@dataclass(frozen=True)
class Registry:
    contexts: tuple[Context, ...]

    @property
    def upkeep(self) -> tuple[UpkeepTask, ...]:
        return tuple(t for c in self.contexts for t in c.upkeep)

    @property
    def searchable(self) -> dict[str, SearchableType]:
        return {s.name: s for c in self.contexts for s in c.searchable}

    @property
    def personal_data(self) -> tuple[PersonalData, ...]:
        return tuple(p for c in self.contexts for p in c.personal_data)

    @property
    def personal_exports(self) -> tuple[PersonalExport, ...]:
        return tuple(p for c in self.contexts for p in c.personal_exports)

    @property
    def personal_objects(self) -> tuple[str, ...]:
        return tuple(o for c in self.contexts for o in c.personal_objects)

    @property
    def server_events(self) -> frozenset[str]:
        return frozenset(e for c in self.contexts for e in c.server_events)

    @property
    def relays(self) -> dict[str, OutboxRelay]:
        return {r.topic: r for c in self.contexts for r in c.relays}

    @property
    def notification_types(self) -> dict[str, NotificationType]:
        return {n.name: n for c in self.contexts for n in c.notification_types}

    def dependents_of(self, entity_type: str) -> dict[str, str]:
        """The types whose entries carry this type's fields, each with its reference
        ``fn(db, ids) -> {id: [dependent ids]}``: declared on either side."""
        found = dict(self.searchable[entity_type].dependents)
        for other in self.searchable.values():
            if entity_type in other.follows:
                found[other.name] = other.follows[entity_type]
        return found

    def outbox_topics(self) -> set[str]:
        """Every topic an outbox row may carry: the search drain's and each relay's."""
        return {"search", "embed", *self.relays}

    def outbox_entity_types(self) -> set[str]:
        """Every entity type an outbox row may name: searchable types and relays' types."""
        return set(self.searchable) | {t for r in self.relays.values() for t in r.entity_types}

    @property
    def audit_actions(self) -> dict[str, AuditAction]:
        return {a.name: a for c in self.contexts for a in c.audit_actions}

    @property
    def erasure_hooks(self) -> tuple[str, ...]:
        return tuple(h for c in self.contexts for h in c.erasure_hooks)

    @property
    def activity_hooks(self) -> tuple[ActivityHook, ...]:
        return tuple(h for c in self.contexts for h in c.activity_hooks)

    def load_models(self) -> None:
        """Import every context's models, so ``Base.metadata`` is complete."""
        for c in self.contexts:
            if c.models:
                importlib.import_module(c.models)

    def metadata(self) -> MetaData:
        """Every installed context's tables (what Alembic compares the database with)."""
        from lectern.db.base import Base

        self.load_models()
        return Base.metadata


def _unique(kind: str, names: list[str]) -> None:
    twice = sorted(n for n, times in Counter(names).items() if times > 1)
    if twice:
        raise ValueError(f"{kind} registered twice: {twice}")


def build(modules: tuple[str, ...]) -> Registry:
    """The registry of these context modules (each with a ``CONTEXT``), checked for
    names registered twice."""
    found = tuple(importlib.import_module(m).CONTEXT for m in modules)
    _unique("contexts", [c.name for c in found])
    _unique("upkeep tasks", [t.name for c in found for t in c.upkeep])
    _unique("searchable types", [s.name for c in found for s in c.searchable])
    _unique("personal data tables", [p.table for c in found for p in c.personal_data])
    _unique("outbox relay topics", [r.topic for c in found for r in c.relays])
    _unique("notification types", [n.name for c in found for n in c.notification_types])
    _unique("audit actions", [a.name for c in found for a in c.audit_actions])
    return Registry(contexts=found)


@lru_cache(maxsize=1)
def get_registry() -> Registry:
    return build(contexts.INSTALLED)
