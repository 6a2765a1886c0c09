"""The restore command: ``python -m lectern.backup restore --from backups/<id> --into URL``.

The target must be an empty database (no migrations applied), unless ``--force``; the
bucket and its credentials come from the usual ``LECTERN_S3_*`` settings. Prints the
row counts, then compares them and the checksums with the manifest.
"""

from __future__ import annotations

import argparse
import json
import sys

from lectern.backup import service


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lectern.backup")
    commands = parser.add_subparsers(dest="command", required=True)
    restore = commands.add_parser("restore", help="load a backup into a database")
    restore.add_argument("--from", dest="source", required=True, help="backups/<id>")
    restore.add_argument("--into", dest="target", required=True, help="SQLAlchemy URL")
    restore.add_argument("--force", action="store_true", help="even if already migrated")
    commands.add_parser("list", help="the finished backups, oldest first")
    args = parser.parse_args(argv)

    from lectern.config import get_settings
    from lectern.db.migrations import current_revision
    from lectern.storage.factory import get_storage

    store = get_storage()
    if args.command == "list":
        for key in store.list_keys(get_settings().backup.prefix):
            if key.endswith("/" + service.MANIFEST):
                print(key.removesuffix(service.MANIFEST))
        return 0
    if current_revision(args.target) is not None and not args.force:
        print("the target database is not empty (it has migrations); use --force", file=sys.stderr)
        return 2
    prefix = args.source.rstrip("/") + "/"
    try:
        manifest = service.restore(store, prefix, args.target)
    except service.RestoreFailed as exc:
        print(f"restore failed at table {exc.table}: {exc.reason}", file=sys.stderr)
        return 1
    tables = service.compare(manifest, service.measure(args.target, list(manifest["tables"])))
    print(json.dumps({"id": manifest["id"], "tables": tables}, indent=2))
    return 0 if all(t["equal"] for t in tables.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
