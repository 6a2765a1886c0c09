"""``make dev``: start the embedded stack, migrate, seed, serve every route on 127.0.0.1."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from local.stack import LocalStack

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description="Run Lectern locally with its embedded services.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".local-data")
    args = parser.parse_args()

    from local.stack import LocalStack

    # A SIGTERM (a process manager, `timeout`, a closed terminal's session) stops the stack
    # like Ctrl-C does; by default Python would die at once and leave Postgres running.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    # Typesense by default; LECTERN_SEARCH_BACKEND=postgres keeps the Postgres adapter
    # (and starts no Typesense).
    wants_typesense = os.environ.get("LECTERN_SEARCH_BACKEND", "typesense") == "typesense"
    stack = LocalStack(data_dir=args.data_dir, typesense=wants_typesense)
    services = "Postgres, Redis + Upstash emulator, moto" + (", Typesense" * wants_typesense)
    print(f"Starting the embedded stack ({services}) ...", flush=True)
    stack.start()
    try:
        os.environ.setdefault("LECTERN_ENV", "local")
        os.environ.setdefault("LECTERN_DB_POOL_SIZE", "10")
        # Where Typesense cannot run, the stack said so and search stays in Postgres.
        os.environ["LECTERN_SEARCH_BACKEND"] = (
            "typesense" if stack.typesense_server is not None else "postgres"
        )
        stack.apply_env()
        serve(stack, args.port)
    finally:
        stack.stop()


def serve(stack: LocalStack, port: int) -> None:
    import uvicorn

    from lectern.config import get_settings
    from lectern.core.outbox import enqueue_everything
    from lectern.db.engine import get_sessionmaker
    from lectern.db.migrations import upgrade
    from lectern.search.factory import ensure_search_key
    from local.devapp import create_dev_app
    from local.seed import DEMO_ACCOUNTS, DEMO_PASSWORD, seed

    revision = upgrade(stack.env["LECTERN_DATABASE_URL"])
    # As the migrate function does in AWS: the search function's own key.
    ensure_search_key()
    with get_sessionmaker()() as db:
        seed(db)
        # The index may be behind the database: a run with the other backend, or a fresh
        # Typesense. A re-index (a replay of the outbox) at every start, drained by the
        # schedule below, brings it level.
        enqueue_everything(db)
        db.commit()
    app = create_dev_app(stack)
    from local.scheduler import (
        AGGREGATE_EVERY_SECONDS,
        OUTBOX_RELAY_EVERY_SECONDS,
        SEARCH_SYNC_EVERY_SECONDS,
        Schedule,
        run_aggregate,
        run_outbox_relay,
        run_search_sync,
    )

    aggregate = Schedule("aggregate", AGGREGATE_EVERY_SECONDS, run_aggregate)
    aggregate.start()
    search_sync = Schedule("search_sync", SEARCH_SYNC_EVERY_SECONDS, run_search_sync)
    search_sync.start()
    outbox_relay = Schedule("outbox_relay", OUTBOX_RELAY_EVERY_SECONDS, run_outbox_relay)
    outbox_relay.start()
    from local.ingest_worker import IngestWorker

    # Uploads reach the ingest handler as in AWS: moto's bucket notifies the queue.
    ingest = IngestWorker()
    ingest.start()
    print(f"\nLectern is migrated to {revision} (env {get_settings().env}).")
    print(f"  API:   http://127.0.0.1:{port}/v1   docs: http://127.0.0.1:{port}/docs")
    print(f"  Mail:  http://127.0.0.1:{port}/_local/mail")
    print(f"  Jobs:  POST http://127.0.0.1:{port}/_local/aggregate runs the schedule now (hourly)")
    search = get_settings().search.backend
    where = f"Typesense {stack.typesense_server.url}" if stack.typesense_server else "Postgres"
    print(f"  Search: {search} ({where})")
    print(f"  Index: POST http://127.0.0.1:{port}/_local/search-sync drains the outbox (every 5 s)")
    print(f"  Relay: POST http://127.0.0.1:{port}/_local/outbox-relay sends queued mail (5 s)")
    print("  Ingest: uploads under documents/ are processed from moto's SQS queue as they land")
    print("  Demo accounts (password: " + DEMO_PASSWORD + "):")
    for email, _name, role in DEMO_ACCOUNTS:
        print(f"    {email:28} {role.value}")
    print(
        "Ctrl-C stops everything; data stays in .local-data/ (make reset clears it).\n", flush=True
    )
    try:
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="info")
    finally:
        ingest.stop()
        outbox_relay.stop()
        search_sync.stop()
        aggregate.stop()


if __name__ == "__main__":
    main()
