"""Backups on the embedded stack: after a seed that leaves no table empty, a backup
verifies equal; a byte changed in one exported object fails the verification naming
that table; a restore into an empty database gives the same counts and checksums and
the app serves from it; the objects cannot be overwritten."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from local.stack import LocalStack
from tests.e2e.backup.seed import empty_tables, seed_everything
from tests.e2e.conftest import invoke


@pytest.fixture(scope="module")
def seeded(stack: LocalStack) -> LocalStack:
    seed_everything()
    # Every table has rows: a new table fails this until the seed covers it.
    assert empty_tables() == []
    return stack


def _backup():
    from lectern.backup import service
    from lectern.core.upkeep import jobs_engine
    from lectern.storage.factory import get_storage

    manifest = service.take_backup(jobs_engine(), get_storage())
    return manifest, service.backup_prefix(manifest.id)


def test_a_backup_of_a_full_database_verifies_equal(seeded):
    from lectern.backup import service
    from lectern.storage.factory import get_storage

    manifest, prefix = _backup()
    assert all(t["rows"] > 0 for t in manifest.tables.values()), manifest.tables
    with service.ScratchDatabase() as scratch:
        outcome = service.verify(get_storage(), prefix, scratch)
    assert outcome["equal"] is True and outcome["failed_table"] is None
    assert set(outcome["tables"]) == set(manifest.tables)
    assert all(t["equal"] and t["rows"] == t["expected_rows"] for t in outcome["tables"].values())


@pytest.mark.parametrize("table", ["lessons", "exam_answers"])
def test_a_byte_changed_in_one_object_fails_verification_naming_its_table(seeded, table):
    from lectern.backup import service
    from lectern.storage.factory import get_storage

    manifest, prefix = _backup()
    store = get_storage()
    key = manifest.tables[table]["object"]
    data = bytearray(store.read_object(key))
    data[len(data) // 2] ^= 0x01
    # Rot inside the bucket, past the backup's own If-None-Match (the raw client).
    store.client.put_object(Bucket=store.bucket, Key=key, Body=bytes(data))  # type: ignore[attr-defined]
    with service.ScratchDatabase() as scratch:
        outcome = service.verify(store, prefix, scratch)
    assert outcome["equal"] is False
    assert outcome["failed_table"] == table
    assert outcome["tables"][table]["equal"] is False


def test_the_objects_cannot_be_overwritten(seeded):
    from lectern.storage.factory import get_storage

    manifest, _ = _backup()
    with pytest.raises(FileExistsError):
        get_storage().put_new(
            manifest.tables["users"]["object"], b"replaced", content_type="application/gzip"
        )


def test_a_restore_into_an_empty_database_is_equal_and_the_app_runs_on_it(
    seeded, settings_env, capsys
):
    from lectern.backup import service
    from lectern.backup.__main__ import main
    from tests.conftest import reset_clients

    manifest, prefix = _backup()
    course_id = next(iter(_course_ids()))
    with service.ScratchDatabase() as target:
        assert main(["restore", "--from", prefix.rstrip("/"), "--into", target]) == 0
        assert '"equal": true' in capsys.readouterr().out
        measured = service.measure(target, list(manifest.tables))
        for name, entry in manifest.tables.items():
            assert measured[name] == {"rows": entry["rows"], "sha256": entry["sha256"]}, name
        # A second restore into a database that has a schema is refused without --force.
        assert main(["restore", "--from", prefix, "--into", target]) == 2
        settings_env.setenv("LECTERN_DATABASE_URL", target)
        reset_clients()
        reply = invoke("courses", "GET", f"/v1/courses/{course_id}")
        assert reply.status == 200 and reply.body["title"] == "Seed course, edited"
        reset_clients()  # close the pool on the target before it is dropped


def _course_ids() -> list[str]:
    from sqlalchemy import text

    from lectern.db.engine import get_engine

    with get_engine().connect() as conn:
        return [
            str(i)
            for i in conn.execute(
                text("SELECT id FROM courses WHERE title = 'Seed course, edited'")
            ).scalars()
        ]


def test_the_backup_tasks_run_on_their_own_schedule_and_record_their_outcome(seeded):
    from lectern.core.registry import get_registry
    from lectern.core.upkeep import run_tasks

    outcomes = run_tasks(schedule="backup")
    assert list(outcomes) == ["backup", "backup_verify"]
    assert outcomes["backup"]["status"] == "ok"
    assert outcomes["backup_verify"]["status"] == "ok"
    assert outcomes["backup_verify"]["details"]["equal"] is True
    assert outcomes["backup_verify"]["details"]["id"] == outcomes["backup"]["details"]["id"]
    hourly = {t.name for t in get_registry().upkeep if t.schedule == "aggregate"}
    assert "backup" not in hourly and "backup_verify" not in hourly


def test_the_local_routes_back_up_and_verify(seeded):
    from local.devapp import create_dev_app

    with TestClient(create_dev_app(seeded)) as client:
        made = client.post("/_local/backup")
        assert made.status_code == 201
        assert made.json()["tables"]["users"] > 0
        checked = client.post("/_local/backup/verify")
        assert checked.status_code == 200
        body = checked.json()
        assert body["equal"] is True and body["id"] == made.json()["id"]
        assert set(body["tables"]) == set(made.json()["tables"])
