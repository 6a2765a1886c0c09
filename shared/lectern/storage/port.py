"""The object storage port: what uploads, ingest, erasure and health need from a bucket.

Every failure to reach the store is ``DependencyUnavailable("storage")``.
"""

from __future__ import annotations

from typing import Any, Protocol


class ObjectStore(Protocol):
    def check(self) -> None:
        """Raise DependencyUnavailable unless the bucket answers."""

    def presign_put(self, key: str, *, content_type: str, size_bytes: int, expires_in: int) -> str:
        """A URL that accepts exactly one PUT of this type and length, and only while no
        object is at ``key``. Signing is local: no call to the store."""

    def presign_get(
        self, key: str, *, expires_in: int, content_disposition: str | None = None
    ) -> str:
        """A URL that downloads the object."""

    def head_object(self, key: str) -> dict[str, Any] | None:
        """The object's metadata, or None when there is no such object."""

    def get_object_range(self, key: str, length: int) -> bytes | None:
        """The first ``length`` bytes of an object (fewer if it is shorter); None if missing."""

    def read_if_match(self, key: str, etag: str, max_bytes: int) -> bytes | None:
        """Up to ``max_bytes`` of the object if its ETag is still ``etag``; None if it was
        replaced. Raises FileNotFoundError when the object is gone."""

    def delete_object(self, key: str) -> None:
        """Delete one object; deleting a missing key succeeds (S3 semantics)."""

    def delete_objects(self, keys: list[str]) -> None:
        """Delete many objects."""

    def put_new(self, key: str, data: bytes, *, content_type: str) -> None:
        """Write an object only if none is at ``key`` (``If-None-Match: *``): a later
        write can never replace it. FileExistsError when one is there."""

    def read_object(self, key: str) -> bytes:
        """The whole object; FileNotFoundError when there is none."""

    def list_keys(self, prefix: str) -> list[str]:
        """Every key under ``prefix``, in key order."""
