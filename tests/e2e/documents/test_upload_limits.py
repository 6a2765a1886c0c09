"""Hardening finding F2 at the door: what a learner may upload, through the `documents`
Lambda handler. Quotas (documents, storage) answer 409 with a problem type naming the
limit; the upload throttle 429 with Retry-After; a refusal writes nothing."""

from __future__ import annotations

import asyncio
import threading
import uuid
from typing import Any

import pytest

from lectern.core.throttle import remaining
from local.functions import load_module
from tests.conftest import reset_clients
from tests.e2e.conftest import Reply, invoke
from tests.factories import Account, new_account

PROBLEM = "application/problem+json"


def create(owner: Account, size_bytes: int = 1000, **kwargs: Any) -> Reply:
    body = {"filename": "notes.md", "content_type": "text/markdown", "size_bytes": size_bytes}
    return invoke("documents", "POST", "/v1/documents", body=body, token=owner.token, **kwargs)


def documents_of(owner: Account) -> list[dict[str, Any]]:
    reply = invoke("documents", "GET", "/v1/me/documents", token=owner.token, query="limit=100")
    assert reply.status == 200
    return list(reply.body["items"])


def an_address() -> str:
    """A source address no other test uses (the per-address counters are shared)."""
    return f"2001:db8::{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"


def test_past_the_document_quota_an_upload_is_refused_until_one_is_deleted(
    settings_env: pytest.MonkeyPatch,
):
    settings_env.setenv("LECTERN_DOCUMENT_QUOTA_DOCUMENTS", "3")
    reset_clients()
    owner = new_account()
    made = [create(owner) for _ in range(3)]
    assert [r.status for r in made] == [201, 201, 201]
    refused = create(owner)
    assert refused.status == 409 and refused.headers["content-type"] == PROBLEM
    assert refused.body["type"] == "urn:lectern:problem:document-quota-exceeded"
    assert (refused.body["limit"], refused.body["used"]) == (3, 3)
    assert "3 documents" in refused.body["detail"]
    assert len(documents_of(owner)) == 3  # nothing written
    # Someone else's documents are not the owner's count.
    assert create(new_account()).status == 201
    gone = made[0].body["id"]
    assert invoke("documents", "DELETE", f"/v1/documents/{gone}", token=owner.token).status == 204
    assert create(owner).status == 201


def test_past_the_storage_quota_an_upload_is_refused_naming_its_size(
    settings_env: pytest.MonkeyPatch,
):
    settings_env.setenv("LECTERN_DOCUMENT_QUOTA_BYTES", "1000")
    reset_clients()
    owner = new_account()
    assert create(owner, 600).status == 201
    refused = create(owner, 401)
    assert refused.status == 409
    assert refused.body["type"] == "urn:lectern:problem:storage-quota-exceeded"
    assert (refused.body["limit"], refused.body["used"]) == (1000, 600)
    assert [e["field"] for e in refused.body["errors"]] == ["size_bytes"]
    assert len(documents_of(owner)) == 1
    assert create(owner, 400).status == 201  # exactly fills it
    assert create(owner, 1).status == 409


def test_concurrent_uploads_cannot_overshoot_the_quota(settings_env: pytest.MonkeyPatch):
    settings_env.setenv("LECTERN_DOCUMENT_QUOTA_DOCUMENTS", "4")
    reset_clients()
    owner = new_account()
    load_module("documents")  # imported once, before the threads race to it
    start = threading.Barrier(10)
    statuses: list[int] = []

    def attempt() -> None:
        # Each thread plays its own Lambda container: Mangum wants an event loop.
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        start.wait()
        try:
            statuses.append(create(owner).status)
        finally:
            loop.close()

    threads = [threading.Thread(target=attempt) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(statuses) == [201] * 4 + [409] * 6
    assert len(documents_of(owner)) == 4


def test_uploads_per_learner_are_throttled_with_retry_after(settings_env: pytest.MonkeyPatch):
    settings_env.setenv("LECTERN_DOCUMENT_UPLOADS_PER_USER", "2")
    reset_clients()
    owner = new_account()
    assert [create(owner).status for _ in range(2)] == [201, 201]
    refused = create(owner)
    assert refused.status == 429 and refused.headers["content-type"] == PROBLEM
    assert refused.body["type"] == "urn:lectern:problem:rate-limited"
    assert "2 uploads this hour" in refused.body["detail"]
    assert 1 <= int(refused.headers["retry-after"]) <= 3600
    assert len(documents_of(owner)) == 2
    assert create(new_account()).status == 201  # the next learner is not held up


def test_uploads_per_source_address_are_throttled(settings_env: pytest.MonkeyPatch):
    settings_env.setenv("LECTERN_DOCUMENT_UPLOADS_PER_IP", "2")
    reset_clients()
    address = an_address()
    learners = [new_account() for _ in range(3)]
    assert [create(a, source_ip=address).status for a in learners[:2]] == [201, 201]
    refused = create(learners[2], source_ip=address)
    assert refused.status == 429 and "from this address" in refused.body["detail"]
    assert "retry-after" in refused.headers
    assert documents_of(learners[2]) == []
    assert create(learners[2], source_ip=an_address()).status == 201


def test_uploads_platform_wide_are_throttled(settings_env: pytest.MonkeyPatch):
    # The platform counter is shared by every test: the limit is set two above its count.
    ((left, _reset),) = remaining([("uploads-all", "all", 1_000_000, 3600)])
    settings_env.setenv("LECTERN_DOCUMENT_UPLOADS_PER_HOUR", str(1_000_000 - left + 2))
    reset_clients()
    learners = [new_account() for _ in range(3)]
    assert [create(a).status for a in learners[:2]] == [201, 201]
    refused = create(learners[2])
    assert refused.status == 429 and "Lectern takes no more uploads" in refused.body["detail"]
    assert documents_of(learners[2]) == []
