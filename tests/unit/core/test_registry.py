"""The context registry: every declaration resolves, and central code reads only it."""

from __future__ import annotations

import sys
import types

import pytest

from lectern.core.registry import Context, UpkeepTask, build, get_registry, resolve


def test_every_registered_reference_resolves_to_a_callable():
    registry = get_registry()
    references = [t.run for t in registry.upkeep]
    for searchable in registry.searchable.values():
        references.append(searchable.loader)
        references += searchable.dependents.values()
        references += searchable.follows.values()
    references += [p.export for p in registry.personal_exports]
    references += [p.erase for p in registry.personal_exports if p.erase]
    references += [r.deliver for r in registry.relays.values()]
    references += registry.personal_objects
    assert references
    for reference in references:
        assert callable(resolve(reference)), reference


def test_registered_tables_and_dependents_exist():
    registry = get_registry()
    tables = registry.metadata().tables
    for personal in registry.personal_data:
        assert personal.user_column in tables[personal.table].c, personal
    for searchable in registry.searchable.values():
        assert "id" in tables[searchable.table].c, searchable.name
        assert set(searchable.dependents) <= set(registry.searchable), searchable.name
        assert set(searchable.follows) <= set(registry.searchable), searchable.name


def test_notification_types_have_valid_defaults_and_relays_own_their_types():
    registry = get_registry()
    assert registry.notification_types
    for kind in registry.notification_types.values():
        assert kind.email in ("off", "immediate", "daily"), kind
        assert kind.name.isidentifier() and kind.name.islower(), kind
    relayed = [t for r in registry.relays.values() for t in r.entity_types]
    assert len(relayed) == len(set(relayed))
    assert not set(relayed) & set(registry.searchable)
    assert not set(registry.relays) & {"search", "embed"}


def test_the_registry_holds_what_the_contexts_brought():
    registry = get_registry()
    assert [t.name for t in registry.upkeep] == [
        "partitions",
        "retention",
        "rollups",
        "question_stats",
        "leaderboards",
        "shares",
        "sessions",
        "uploads",
        "study_reminders",
        "notification_digest",
        "team_invitations",
        "billing_webhook_deliveries",
        "challenge_boards",
        "audit_partitions",
        "audit_retention",
        "backup",
        "backup_verify",
        "outbox",
    ]
    # The backup runs daily on its own function, never in the hourly aggregate.
    assert [t.name for t in registry.upkeep if t.schedule == "backup"] == [
        "backup",
        "backup_verify",
    ]
    assert set(registry.audit_actions) == {
        "audit.read",
        "identity.role_changed",
        "identity.exported",
        "identity.erased",
        "progress.roster_read",
        "progress.learner_read",
    }
    assert sorted(registry.searchable) == ["course", "lesson", "question", "thread"]
    assert [(h.kinds, h.function) for h in registry.activity_hooks] == [
        (("xp", "correct_answer", "lesson_completed"), "challenge_credit"),
        (("xp", "course_completed", "challenge_completed"), "badge_award"),
    ]
    assert registry.server_events == {
        "course_enrolled",
        "lesson_completed",
        "exam_started",
        "exam_completed",
        "document_uploaded",
    }


def _context_module(name: str, context: Context) -> str:
    module = types.ModuleType(name)
    module.CONTEXT = context  # type: ignore[attr-defined]
    sys.modules[name] = module
    return name


def test_a_name_registered_twice_is_refused(monkeypatch: pytest.MonkeyPatch):
    first = _context_module("tests_ctx_a", Context("a", upkeep=(UpkeepTask("same", "x:y"),)))
    second = _context_module("tests_ctx_b", Context("b", upkeep=(UpkeepTask("same", "x:z"),)))
    try:
        with pytest.raises(ValueError, match="upkeep tasks registered twice: \\['same'\\]"):
            build((first, second))
        assert [t.name for t in build((first,)).upkeep] == ["same"]
    finally:
        del sys.modules[first], sys.modules[second]


def test_a_reference_must_name_an_attribute():
    with pytest.raises(ValueError, match="not a 'module:attribute' reference"):
        resolve("lectern.core.registry")
