"""`make dev`'s stack keeps its data between runs: rows, keys, uploaded objects and the
Typesense collections."""

import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from upstash_redis import Redis

from lectern.search.port import IndexDoc, Viewer
from lectern.search.typesense import TypesenseIndex
from local.stack import BUCKET, KV_TOKEN, LocalStack


def _kv(stack: LocalStack) -> Redis:
    return Redis(url=stack.env["LECTERN_KV_URL"], token=KV_TOKEN, allow_telemetry=False)


def _typesense(stack: LocalStack) -> TypesenseIndex:
    env = stack.env
    return TypesenseIndex(env["LECTERN_TYPESENSE_URL"], env["LECTERN_TYPESENSE_API_KEY"], "kept")


def test_a_persistent_stack_keeps_rows_keys_and_objects_across_restarts(tmp_path: Path):
    entry = IndexDoc("course", uuid.uuid4(), "Document survives", "", None, uuid.uuid4(), True)
    first = LocalStack(data_dir=tmp_path / "data")
    first.start()
    try:
        index = _typesense(first)
        index.ensure_schema({})
        assert index.upsert([entry]) == {}
        index.close()
        engine = create_engine(first.env["LECTERN_DATABASE_URL"], poolclass=NullPool)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE kept (v text)"))
            conn.execute(text("INSERT INTO kept VALUES ('row survives')"))
        engine.dispose()
        _kv(first).set("lectern:kept", "key survives")
        first.aws_client("s3").put_object(
            Bucket=BUCKET,
            Key="uploads/a b/ü.pdf",
            Body=b"%PDF-1.7 bytes",
            ContentType="application/pdf",
        )
    finally:
        first.stop()

    second = LocalStack(data_dir=tmp_path / "data")
    second.start()
    try:
        engine = create_engine(second.env["LECTERN_DATABASE_URL"], poolclass=NullPool)
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT v FROM kept")) == "row survives"
        engine.dispose()
        assert _kv(second).get("lectern:kept") == "key survives"
        obj = second.aws_client("s3").get_object(Bucket=BUCKET, Key="uploads/a b/ü.pdf")
        assert obj["Body"].read() == b"%PDF-1.7 bytes"
        assert obj["ContentType"] == "application/pdf"
        # On the ports it had (a single node elsewhere would wait ten seconds to lead).
        assert second.env["LECTERN_TYPESENSE_URL"] == first.env["LECTERN_TYPESENSE_URL"]
        index = _typesense(second)
        hits, _found = index.search("survives", ["course"], Viewer(), 5)
        assert [h.id for h in hits] == [entry.id]
        index.close()
    finally:
        second.stop()


def test_handles_of_dead_processes_are_forgotten_so_postgres_can_stop(tmp_path):
    import json
    import os
    import subprocess
    import sys

    from local.stack import prune_dead_handles

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    handles = tmp_path / ".handle_pids.json"
    handles.write_text(json.dumps([gone.pid, os.getpid()]))
    assert prune_dead_handles(tmp_path) == [gone.pid]
    assert json.loads(handles.read_text()) == [os.getpid()]
    assert prune_dead_handles(tmp_path / "missing") == []
