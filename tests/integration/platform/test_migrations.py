"""Migrations: every revision walks up and down, and head matches the models exactly."""

import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from lectern.core.registry import get_registry
from lectern.db.migrations import (
    REPO_MIGRATIONS,
    alembic_config,
    current_revision,
    downgrade,
    include_object,
    upgrade,
)
from local.stack import LocalStack


@pytest.fixture
def scratch_url(stack: LocalStack) -> Iterator[str]:
    """A database of its own, so walking down never disturbs the other tests."""
    url = make_url(stack.env["LECTERN_DATABASE_URL"])
    admin = create_engine(
        url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS lectern_stairway"))
        conn.execute(text("CREATE DATABASE lectern_stairway"))
    yield url.set(database="lectern_stairway").render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS lectern_stairway WITH (FORCE)"))
    admin.dispose()


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(alembic_config("postgresql://unused"))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def test_stairway_every_revision_up_down_up(scratch_url: str):
    revisions = _revisions()
    assert revisions, "no migrations found"
    previous = "base"
    for revision in revisions:
        upgrade(scratch_url, revision)
        assert current_revision(scratch_url) == revision
        downgrade(scratch_url, previous)
        assert current_revision(scratch_url) == (None if previous == "base" else previous)
        upgrade(scratch_url, revision)
        previous = revision


def test_downgrade_to_base_leaves_no_tables(scratch_url: str):
    upgrade(scratch_url, "head")
    downgrade(scratch_url, "base")
    engine = create_engine(scratch_url, poolclass=NullPool)
    tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert tables == set()


def test_models_match_the_migrated_schema(scratch_url: str):
    upgrade(scratch_url, "head")
    engine = create_engine(scratch_url, poolclass=NullPool)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_object}
        )
        diff = compare_metadata(context, get_registry().metadata())
    engine.dispose()
    assert diff == [], diff


def test_schema_has_pgvector_and_needs_no_other_extension(scratch_url: str):
    upgrade(scratch_url, "head")
    engine = create_engine(scratch_url, poolclass=NullPool)
    with engine.connect() as conn:
        extensions = set(conn.scalars(text("SELECT extname FROM pg_extension")))
    engine.dispose()
    assert extensions == {"plpgsql", "vector"}


def test_migrations_live_where_the_migrate_function_expects():
    assert (REPO_MIGRATIONS / "env.py").is_file()
    assert list((REPO_MIGRATIONS / "versions").glob("*.py"))


def test_migrate_function_applies_head_and_builds_the_embedding_index(
    scratch_url: str, settings_env: pytest.MonkeyPatch
):
    from lectern.embeddings.registry import forget_models, index_name
    from local.functions import load_module
    from tests.conftest import reset_clients

    migrate = load_module("migrate", "handler.py")
    settings_env.setattr(migrate, "SCRIPT_LOCATION", REPO_MIGRATIONS)
    settings_env.setenv("LECTERN_DATABASE_URL", scratch_url)
    reset_clients()
    forget_models()  # the cache speaks of the main test database
    try:
        report = migrate.handler({}, None)
    finally:
        forget_models()
    assert report["revision"] == _revisions()[-1]
    engine = create_engine(scratch_url, poolclass=NullPool)
    with engine.connect() as conn:
        indexes = set(conn.scalars(text("SELECT indexname FROM pg_indexes")))
    engine.dispose()
    assert index_name(report["embedding_model_id"]) in indexes


def test_the_full_text_index_has_no_pending_list(scratch_url: str):
    upgrade(scratch_url, "head")
    engine = create_engine(scratch_url, poolclass=NullPool)
    with engine.connect() as conn:
        options = conn.scalar(
            text("SELECT reloptions FROM pg_class WHERE relname = 'ix_search_entries_document'")
        )
    engine.dispose()
    assert options == ["fastupdate=off"]


def _check_values(db, table: str, constraint: str) -> set[str]:
    import re

    definition = db.scalar(
        text(
            "SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c "
            "JOIN pg_class t ON t.oid = c.conrelid WHERE t.relname = :t AND c.conname = :c"
        ),
        {"t": table, "c": constraint},
    )
    assert definition is not None
    return set(re.findall(r"'(\w+)'::text", definition))


def test_search_entries_check_admits_exactly_the_registered_searchable_types(db):
    """The models leave ``entity_type`` open (contexts register types); the database's
    check is what holds it, so a context registering a type widens it in its migration."""
    found = _check_values(db, "search_entries", "ck_search_entries_entity_type_known")
    assert found == set(get_registry().searchable)


def test_outbox_checks_admit_exactly_the_registered_topics_and_types(db):
    """Outbox rows are the search drain's (searchable types) and the relays' (each
    relay's topic and entity types): the checks widen with each registration."""
    registry = get_registry()
    assert _check_values(db, "outbox", "ck_outbox_topic_known") == registry.outbox_topics()
    found = _check_values(db, "outbox", "ck_outbox_entity_type_known")
    assert found == registry.outbox_entity_types()


def test_0007_names_the_question_in_answer_awards_and_walks_back(scratch_url: str):
    """A learner paid twice for one question before 0007 keeps both awards, but the first
    now names the question, so a third right answer pays nothing; down, it names its
    answer again."""
    upgrade(scratch_url, "0005_hardening")
    engine = create_engine(scratch_url, poolclass=NullPool)
    ids = {k: uuid.uuid4() for k in ("user", "q", "e1", "e2", "a1", "a2", "x1", "x2")}
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO users (id, email) VALUES (:user, 'm@example.com')"), ids)
        conn.execute(
            text(
                "INSERT INTO questions (id, owner_id, prompt, type, difficulty, topic)"
                " VALUES (:q, :user, 'Q?', 'single_choice', 'easy', 't')"
            ),
            ids,
        )
        for exam, answer, award, day in (("e1", "a1", "x1", 1), ("e2", "a2", "x2", 2)):
            keys = {
                **ids,
                "exam": ids[exam],
                "answer": ids[answer],
                "award": ids[award],
                "ago": 3 - day,
            }
            conn.execute(
                text(
                    "INSERT INTO exams (id, user_id, mode, size) VALUES (:exam, :user, 'exam', 1)"
                ),
                keys,
            )
            conn.execute(
                text(
                    "INSERT INTO exam_questions (exam_id, question_id, position)"
                    " VALUES (:exam, :q, 0)"
                ),
                keys,
            )
            conn.execute(
                text(
                    "INSERT INTO exam_answers (id, exam_id, question_id, is_correct)"
                    " VALUES (:answer, :exam, :q, true)"
                ),
                keys,
            )
            conn.execute(
                text(
                    "INSERT INTO xp_awards (id, user_id, reason, source_id, amount, awarded_at)"
                    " VALUES (:award, :user, 'correct_answer', :answer, 2,"
                    " now() - make_interval(days => :ago))"
                ),
                keys,
            )

    def sources() -> dict[uuid.UUID, uuid.UUID]:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, source_id FROM xp_awards")).all()
        return {row.id: row.source_id for row in rows}

    upgrade(scratch_url, "0007_exam_hot_paths")
    assert sources() == {ids["x1"]: ids["q"], ids["x2"]: ids["a2"]}
    downgrade(scratch_url, "0005_hardening")
    assert sources() == {ids["x1"]: ids["a1"], ids["x2"]: ids["a2"]}
    engine.dispose()
