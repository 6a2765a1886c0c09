"""The S3-API client for R2/S3. boto3 is imported here only, on first use."""

from __future__ import annotations

from typing import Any

from lectern.config import get_settings
from lectern.errors import DependencyUnavailable
from lectern.storage.factory import get_s3


def check_bucket() -> None:
    """Raise DependencyUnavailable unless the bucket answers."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        get_s3().head_bucket(Bucket=get_settings().s3_bucket)
    except (BotoCoreError, ClientError) as exc:
        raise DependencyUnavailable(
            "storage", f"bucket check failed: {type(exc).__name__}"
        ) from exc


def _storage_error(action: str, exc: Exception) -> DependencyUnavailable:
    return DependencyUnavailable("storage", f"{action} failed: {type(exc).__name__}")


def _is_missing(exc: Exception) -> bool:
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError):
        return False
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")


def presign_put(key: str, *, content_type: str, size_bytes: int, expires_in: int) -> str:
    """A presigned PUT with Content-Type, Content-Length and ``If-None-Match: *`` signed.

    Passing them as parameters makes botocore serialize them as headers before signing,
    so the store refuses a body of another length or type (R2 and S3 both check signed
    headers), and, by the conditional write, any PUT once an object is there: bytes that
    passed the completion check cannot be swapped while the URL lives. Signing is local:
    no call to the store.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        url: str = get_s3().generate_presigned_url(
            "put_object",
            Params={
                "Bucket": get_settings().s3_bucket,
                "Key": key,
                "ContentType": content_type,
                "ContentLength": size_bytes,
                "IfNoneMatch": "*",
            },
            ExpiresIn=expires_in,
            HttpMethod="PUT",
        )
    except (BotoCoreError, ClientError) as exc:
        raise _storage_error("presign", exc) from exc
    return url


def presign_get(key: str, *, expires_in: int, content_disposition: str | None = None) -> str:
    from botocore.exceptions import BotoCoreError, ClientError

    params: dict[str, Any] = {"Bucket": get_settings().s3_bucket, "Key": key}
    if content_disposition:
        params["ResponseContentDisposition"] = content_disposition
    try:
        url: str = get_s3().generate_presigned_url(
            "get_object", Params=params, ExpiresIn=expires_in, HttpMethod="GET"
        )
    except (BotoCoreError, ClientError) as exc:
        raise _storage_error("presign", exc) from exc
    return url


def head_object(key: str) -> dict[str, Any] | None:
    """The object's metadata, or None when there is no such object."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        reply: dict[str, Any] = get_s3().head_object(Bucket=get_settings().s3_bucket, Key=key)
    except (BotoCoreError, ClientError) as exc:
        if _is_missing(exc):
            return None
        raise _storage_error("head", exc) from exc
    return reply


def get_object_range(key: str, length: int) -> bytes | None:
    """The first ``length`` bytes of an object (fewer if it is shorter); None if missing."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        reply = get_s3().get_object(
            Bucket=get_settings().s3_bucket, Key=key, Range=f"bytes=0-{max(0, length - 1)}"
        )
        body: bytes = reply["Body"].read()
    except (BotoCoreError, ClientError) as exc:
        if _is_missing(exc):
            return None
        raise _storage_error("get", exc) from exc
    return body[:length]


def read_if_match(key: str, etag: str, max_bytes: int) -> bytes | None:
    """Up to ``max_bytes`` of the object if its ETag is still ``etag``; None if it was
    replaced. Raises FileNotFoundError when the object is gone, DependencyUnavailable on
    outages."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        reply = get_s3().get_object(Bucket=get_settings().s3_bucket, Key=key, IfMatch=f'"{etag}"')
        body = reply["Body"]
        try:
            data: bytes = body.read(max_bytes)
        finally:
            body.close()
    except ClientError as exc:
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in ("PreconditionFailed", "412"):
            return None
        if code in ("NoSuchKey", "404", "NotFound"):
            raise FileNotFoundError(key) from None
        raise DependencyUnavailable("storage", f"get failed: {code}") from exc
    except BotoCoreError as exc:
        raise DependencyUnavailable("storage", f"get failed: {type(exc).__name__}") from exc
    return data


def delete_object(key: str) -> None:
    """Delete one object; deleting a missing key succeeds (S3 semantics)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        get_s3().delete_object(Bucket=get_settings().s3_bucket, Key=key)
    except (BotoCoreError, ClientError) as exc:
        raise _storage_error("delete", exc) from exc


def delete_objects(keys: list[str]) -> None:
    """Delete many objects, a thousand per call (the S3 limit)."""
    from botocore.exceptions import BotoCoreError, ClientError

    bucket = get_settings().s3_bucket
    try:
        for start in range(0, len(keys), 1000):
            batch = keys[start : start + 1000]
            reply = get_s3().delete_objects(
                Bucket=bucket,
                Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
            )
            if reply.get("Errors"):
                raise DependencyUnavailable(
                    "storage", f"{len(reply['Errors'])} objects not deleted"
                )
    except (BotoCoreError, ClientError) as exc:
        raise _storage_error("delete", exc) from exc
