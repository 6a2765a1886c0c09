"""Take a backup, restore one, verify the newest.

- ``take_backup``: one ``REPEATABLE READ`` read-only transaction (a consistent snapshot
  of every table), each table exported in key order (``lectern.backup.dump``), its rows
  counted and its data checksummed in that same snapshot; the objects are written under
  ``backups/<id>/`` with ``If-None-Match: *`` (nothing can replace them), the manifest
  last, so a backup without a manifest is an unfinished one and is never restored.
- ``restore``: the migrations to the backup's revision, then every table loaded in one
  transaction (parents first), identity sequences moved past the loaded ids.
- ``verify_latest``: the newest backup restored into a scratch database, then each
  table's row count and checksum recomputed there and compared with the manifest.
"""

from __future__ import annotations

import gzip
import json
import re
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Table, make_url, text
from sqlalchemy.pool import NullPool

from lectern.backup import dump
from lectern.config import Settings, database_url, get_settings
from lectern.core.secrets import secret_or_value
from lectern.db.engine import make_oneshot_engine
from lectern.db.partitions import ensure_monthly, month_start
from lectern.errors import DependencyUnavailable
from lectern.storage.port import ObjectStore

MANIFEST = "manifest.json"
FORMAT = "csv+gzip/v1"
_PARTITION_COLUMN = re.compile(r"^RANGE \((\w+)\)$")


def _retention_days(settings: Settings) -> dict[str, int]:
    """Monthly-partitioned tables whose old months retention drops: those months are not
    exported (their rows would be gone by the next retention run anyway)."""
    return {"events": settings.analytics.retention_days, "audit_log": settings.audit.retention_days}


def _partition_column(table: Table) -> str | None:
    spec = table.dialect_options["postgresql"].get("partition_by")
    match = _PARTITION_COLUMN.match(spec or "")
    return match[1] if match else None


def _kept_since(table: Table, now: datetime, settings: Settings) -> tuple[str, datetime] | None:
    column = _partition_column(table)
    days = _retention_days(settings).get(table.name)
    if column is None or days is None:
        return None
    # Whole months, as retention drops them: the month the cutoff falls in stays.
    first = month_start((now - timedelta(days=days)).date())
    return column, datetime(first.year, first.month, 1, tzinfo=UTC)


@dataclass
class Manifest:
    id: str
    created_at: str
    revision: str | None
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    format: str = FORMAT

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, indent=2, sort_keys=True).encode()


def backup_prefix(backup_id: str) -> str:
    return f"{get_settings().backup.prefix}{backup_id}/"


def take_backup(engine: Engine, store: ObjectStore, now: datetime | None = None) -> Manifest:
    settings = get_settings()
    now = now or datetime.now(UTC)
    # Second precision reads well; the suffix keeps two runs in one second apart.
    backup_id = f"{now:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:6]}"
    prefix = backup_prefix(backup_id)
    dumps: list[dump.TableDump] = []
    with engine.connect().execution_options(
        isolation_level="REPEATABLE READ", postgresql_readonly=True
    ) as conn:
        dump.stable_output(conn)
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        for table in dump.app_tables():
            since = _kept_since(table, now, settings)
            csv_data = dump.copy_out(conn, dump.select_sql(table, since))
            rows = conn.execute(
                text(f"SELECT count(*) FROM ({dump.select_sql(table, since)}) AS t")  # noqa: S608
            ).scalar_one()
            column = _partition_column(table)
            months = (
                dump.months_of(conn, table, column, since[1] if since else None) if column else []
            )
            dumps.append(
                dump.TableDump(
                    table.name, int(rows), dump.checksum(csv_data), dump.compress(csv_data), months
                )
            )
        conn.rollback()
    manifest = Manifest(id=backup_id, created_at=now.isoformat(), revision=revision)
    for item in dumps:
        key = f"{prefix}{item.table}.csv.gz"
        store.put_new(key, item.data, content_type="application/gzip")
        manifest.tables[item.table] = {
            "rows": item.rows,
            "sha256": item.sha256,
            "object": key,
            "bytes": len(item.data),
            "months": item.months,
        }
    store.put_new(f"{prefix}{MANIFEST}", manifest.to_json(), content_type="application/json")
    return manifest


def latest_backup(store: ObjectStore) -> str | None:
    """The newest finished backup's prefix (the one with a manifest), or None."""
    root = get_settings().backup.prefix
    manifests = [k for k in store.list_keys(root) if k.endswith(f"/{MANIFEST}")]
    return manifests[-1].removesuffix(MANIFEST) if manifests else None


def read_manifest(store: ObjectStore, prefix: str) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(store.read_object(prefix.rstrip("/") + "/" + MANIFEST))
    if manifest.get("format") != FORMAT:
        raise ValueError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


class RestoreFailed(Exception):
    """A table could not be read or loaded; names it."""

    def __init__(self, table: str, reason: str) -> None:
        super().__init__(f"{table}: {reason}")
        self.table = table
        self.reason = reason


def restore(store: ObjectStore, prefix: str, target_url: str) -> dict[str, Any]:
    """Load the backup at ``prefix`` into the database at ``target_url`` (its schema
    migrated to the backup's revision first). All tables load in one transaction: a
    failure leaves the target's tables empty and raises ``RestoreFailed``."""
    from lectern.db.migrations import upgrade

    manifest = read_manifest(store, prefix)
    upgrade(target_url, manifest["revision"] or "head")
    engine = make_oneshot_engine(target_url)
    tables: dict[str, Table] = {t.name: t for t in dump.app_tables()}
    names = [n for n in tables if n in manifest["tables"]]
    try:
        with engine.begin() as conn:
            dump.stable_output(conn)
            # Migrations may seed rows (synonyms, models): the backup's replace them.
            conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " CASCADE"))
            for name in names:
                entry = manifest["tables"][name]
                for month in entry.get("months", []):
                    first = datetime.fromisoformat(month).date()
                    ensure_monthly(conn, name, first, first)
                try:
                    csv_data = gzip.decompress(store.read_object(entry["object"]))
                except (OSError, EOFError, zlib.error) as exc:
                    raise RestoreFailed(name, f"unreadable object: {exc}") from exc
                try:
                    with conn.begin_nested():
                        dump.copy_in(conn, name, csv_data)
                except Exception as exc:
                    reason = getattr(exc, "orig", exc)
                    raise RestoreFailed(name, f"load failed: {str(reason)[:300]}") from exc
            _advance_identities(conn, names)
    finally:
        engine.dispose()
    return manifest


def _advance_identities(conn: Any, names: list[str]) -> None:
    rows = conn.execute(
        text(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND is_identity = 'YES'"
        )
    ).all()
    for table, column in rows:
        if table in names:
            sql = (
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', '{column}'), "  # noqa: S608
                f'coalesce(max("{column}"), 0) + 1, false) FROM "{table}"'
            )
            conn.execute(text(sql))


def measure(url: str, names: list[str]) -> dict[str, dict[str, Any]]:
    """Row counts and checksums of these tables in the database at ``url``."""
    engine = make_oneshot_engine(url)
    tables = {t.name: t for t in dump.app_tables()}
    found: dict[str, dict[str, Any]] = {}
    try:
        with engine.connect() as conn:
            dump.stable_output(conn)
            for name in names:
                query = dump.select_sql(tables[name])
                csv_data = dump.copy_out(conn, query)
                count_sql = f"SELECT count(*) FROM ({query}) AS t"  # noqa: S608 - model names
                rows = conn.execute(text(count_sql)).scalar_one()
                found[name] = {"rows": int(rows), "sha256": dump.checksum(csv_data)}
            conn.rollback()
    finally:
        engine.dispose()
    return found


def compare(manifest: dict[str, Any], found: dict[str, dict[str, Any]]) -> dict[str, Any]:
    tables = {}
    for name, expected in manifest["tables"].items():
        got = found.get(name, {})
        tables[name] = {
            "rows": got.get("rows"),
            "expected_rows": expected["rows"],
            "equal": got.get("rows") == expected["rows"]
            and got.get("sha256") == expected["sha256"],
        }
    return tables


def verify(store: ObjectStore, prefix: str, scratch_url: str) -> dict[str, Any]:
    """Restore ``prefix`` into the (empty) scratch database and compare it with the
    manifest: ``{id, equal, tables: {name: {rows, expected_rows, equal}}, failed_table}``."""
    manifest = read_manifest(store, prefix)
    try:
        restore(store, prefix, scratch_url)
    except RestoreFailed as exc:
        # Nothing was loaded (one transaction): only the failed table is known unequal.
        tables = {
            name: {"rows": None, "expected_rows": entry["rows"], "equal": None}
            for name, entry in manifest["tables"].items()
        }
        tables[exc.table]["equal"] = False
        return {
            "id": manifest["id"],
            "equal": False,
            "tables": tables,
            "failed_table": exc.table,
            "reason": exc.reason,
        }
    tables = compare(manifest, measure(scratch_url, list(manifest["tables"])))
    unequal = [name for name, t in tables.items() if not t["equal"]]
    return {
        "id": manifest["id"],
        "equal": not unequal,
        "tables": tables,
        "failed_table": unequal[0] if unequal else None,
    }


def _scratch_url(settings: Settings) -> str | None:
    backup = settings.backup
    if not (backup.scratch_database_url or backup.scratch_database_url_secret):
        return None
    return secret_or_value(
        secret=backup.scratch_database_url_secret,
        value=backup.scratch_database_url,
        dependency="backup scratch database",
        setting="LECTERN_BACKUP_SCRATCH_DATABASE_URL",
        max_age=settings.aws.secret_max_age_seconds,
    )


class ScratchDatabase:
    """A database to restore into for a verification. With a configured URL (in AWS, a
    Neon branch kept for this) that one, emptied first; otherwise a new database on the
    app's own server, dropped afterwards (the embedded server locally)."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.created: str | None = None
        self.url = ""

    def __enter__(self) -> str:
        app_url = make_url(database_url(self.settings))
        configured = _scratch_url(self.settings)
        if configured:
            if make_url(configured).database == app_url.database and (
                make_url(configured).host == app_url.host
            ):
                raise ValueError("the scratch database must not be the app's database")
            self._empty(configured)
            self.url = configured
            return self.url
        if not self.settings.is_local:
            raise DependencyUnavailable(
                "backup scratch database", "set LECTERN_BACKUP_SCRATCH_DATABASE_URL"
            )
        name = f"lectern_verify_{uuid.uuid4().hex[:10]}"
        with self._admin(app_url).connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        self.created = name
        self.url = app_url.set(database=name).render_as_string(hide_password=False)
        return self.url

    def __exit__(self, *_: object) -> None:
        if self.created:
            app_url = make_url(database_url(self.settings))
            with self._admin(app_url).connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.created}" WITH (FORCE)'))

    @staticmethod
    def _admin(url: Any) -> Engine:
        from sqlalchemy import create_engine

        return create_engine(
            url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool
        )

    @staticmethod
    def _empty(url: str) -> None:
        engine = make_oneshot_engine(url)
        try:
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        finally:
            engine.dispose()


def verify_latest(store: ObjectStore) -> dict[str, Any]:
    prefix = latest_backup(store)
    if prefix is None:
        return {
            "id": None,
            "equal": False,
            "tables": {},
            "failed_table": None,
            "reason": "no backup",
        }
    with ScratchDatabase() as scratch_url:
        return verify(store, prefix, scratch_url)
