"""Lambda SnapStart: prime the container before its snapshot, start clean after a restore.

With SnapStart on (the template's ``SnapStart`` parameter), Lambda runs a version's init
once when the version is published, snapshots its memory, and resumes every new
container of that version from the copy. Whatever init left behind is shared by all of
them: imports and the built app (the point), but also sockets, which would be the same
connection in many containers at once, and the state of ``random``.

So, only when Lambda says it is making a snapshot (``AWS_LAMBDA_INITIALIZATION_TYPE`` is
``snap-start``; on-demand containers register nothing):
- before the snapshot: the function's ``prime`` (an HTTP function answers requests that
  need no outside service), then every cached client is closed and forgotten;
- after a restore: the same again, in case anything was made since, and ``random``
  re-seeded from ``os.urandom``. Tokens, ids and codes come from ``secrets`` and
  ``uuid.uuid4``, which read ``os.urandom`` on each call: nothing of theirs is in the
  snapshot to repeat.
"""

from __future__ import annotations

import gc
import os
import random
import sys
from collections.abc import Callable

from lectern.core.cache import reset_cached_clients

INITIALIZATION_TYPE = "AWS_LAMBDA_INITIALIZATION_TYPE"
SNAP_START = "snap-start"


def is_snap_start() -> bool:
    """True in an init whose memory Lambda will snapshot."""
    return os.environ.get(INITIALIZATION_TYPE) == SNAP_START


def register(prime: Callable[[], object] | None = None) -> bool:
    """Register the hooks (and ``prime``, run before the snapshot) when SnapStart is
    making a snapshot; False, registering nothing, otherwise."""
    if not is_snap_start():
        return False
    from snapshot_restore_py import register_after_restore, register_before_snapshot

    register_before_snapshot(before_snapshot, prime)
    register_after_restore(after_restore)
    return True


def before_snapshot(prime: Callable[[], object] | None = None) -> None:
    if prime is not None:
        try:
            prime()
        except Exception:
            # A failed prime leaves a colder snapshot, not a broken one: publishing the
            # version (the deploy) should not fail over it.
            from lectern.observability import get_logger

            get_logger().exception("snapstart: priming failed")
        _reset_cold_start_flags()
    drop_connections()


def after_restore() -> None:
    drop_connections()
    random.seed()  # from os.urandom: each restored container draws its own sequence


def drop_connections() -> None:
    """Close and forget every client that may hold a socket: the engine's pool, the
    Upstash, Typesense and AWS clients (``reset_cached_clients``), and Powertools'
    parameter providers, whose boto3 clients read the secrets."""
    reset_cached_clients()
    parameters = sys.modules.get("aws_lambda_powertools.utilities.parameters.base")
    if parameters is not None:
        parameters.clear_caches()
    # A dropped client without a close hook (a boto3 client sits in reference cycles)
    # closes its sockets when collected: collect now, not at some later allocation.
    gc.collect()


def _reset_cold_start_flags() -> None:
    """The prime was not a request: the first one after a restore is the cold start
    the logs (and a ColdStart metric) should show."""
    from aws_lambda_powertools.logging import logger
    from aws_lambda_powertools.metrics.provider import cold_start

    logger.is_cold_start = True
    cold_start.is_cold_start = True
