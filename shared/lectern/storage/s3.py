"""The S3-API adapter for R2/S3. botocore is imported in the methods, boto3 by the
factory: a function that never touches storage loads neither."""

from __future__ import annotations

from typing import Any

from lectern.errors import DependencyUnavailable


def _storage_error(action: str, exc: Exception) -> DependencyUnavailable:
    return DependencyUnavailable("storage", f"{action} failed: {type(exc).__name__}")


def _is_missing(exc: Exception) -> bool:
    from botocore.exceptions import ClientError

    if not isinstance(exc, ClientError):
        return False
    code = str(exc.response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")


class S3Store:
    """One bucket through one boto3 S3 client."""

    def __init__(self, client: Any, bucket: str) -> None:
        # The boto3 client itself, for tests and tools that need more than the port.
        self.client = client
        self.bucket = bucket

    def check(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (BotoCoreError, ClientError) as exc:
            raise DependencyUnavailable(
                "storage", f"bucket check failed: {type(exc).__name__}"
            ) from exc

    def presign_put(self, key: str, *, content_type: str, size_bytes: int, expires_in: int) -> str:
        """A presigned PUT with Content-Type, Content-Length and ``If-None-Match: *`` signed.

        Passing them as parameters makes botocore serialize them as headers before
        signing, so the store refuses a body of another length or type (R2 and S3 both
        check signed headers), and, by the conditional write, any PUT once an object is
        there: bytes that passed the completion check cannot be swapped while the URL
        lives. Signing is local: no call to the store.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            url: str = self.client.generate_presigned_url(
                "put_object",
                Params={
                    "Bucket": self.bucket,
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

    def presign_get(
        self, key: str, *, expires_in: int, content_disposition: str | None = None
    ) -> str:
        from botocore.exceptions import BotoCoreError, ClientError

        params: dict[str, Any] = {"Bucket": self.bucket, "Key": key}
        if content_disposition:
            params["ResponseContentDisposition"] = content_disposition
        try:
            url: str = self.client.generate_presigned_url(
                "get_object", Params=params, ExpiresIn=expires_in, HttpMethod="GET"
            )
        except (BotoCoreError, ClientError) as exc:
            raise _storage_error("presign", exc) from exc
        return url

    def head_object(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            reply: dict[str, Any] = self.client.head_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            if _is_missing(exc):
                return None
            raise _storage_error("head", exc) from exc
        return reply

    def get_object_range(self, key: str, length: int) -> bytes | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            reply = self.client.get_object(
                Bucket=self.bucket, Key=key, Range=f"bytes=0-{max(0, length - 1)}"
            )
            body: bytes = reply["Body"].read()
        except (BotoCoreError, ClientError) as exc:
            if _is_missing(exc):
                return None
            raise _storage_error("get", exc) from exc
        return body[:length]

    def read_if_match(self, key: str, etag: str, max_bytes: int) -> bytes | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            reply = self.client.get_object(Bucket=self.bucket, Key=key, IfMatch=f'"{etag}"')
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

    def delete_object(self, key: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except (BotoCoreError, ClientError) as exc:
            raise _storage_error("delete", exc) from exc

    def delete_objects(self, keys: list[str]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            # A thousand keys per call: the S3 limit.
            for start in range(0, len(keys), 1000):
                batch = keys[start : start + 1000]
                reply = self.client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
                )
                if reply.get("Errors"):
                    raise DependencyUnavailable(
                        "storage", f"{len(reply['Errors'])} objects not deleted"
                    )
        except (BotoCoreError, ClientError) as exc:
            raise _storage_error("delete", exc) from exc

    def put_new(self, key: str, data: bytes, *, content_type: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, IfNoneMatch="*"
            )
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if code in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                raise FileExistsError(key) from None
            raise _storage_error("put", exc) from exc
        except BotoCoreError as exc:
            raise _storage_error("put", exc) from exc

    def read_object(self, key: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            body: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except (BotoCoreError, ClientError) as exc:
            if _is_missing(exc):
                raise FileNotFoundError(key) from None
            raise _storage_error("get", exc) from exc
        return body

    def list_keys(self, prefix: str) -> list[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        keys: list[str] = []
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            ):
                keys.extend(item["Key"] for item in page.get("Contents", []))
        except (BotoCoreError, ClientError) as exc:
            raise _storage_error("list", exc) from exc
        return sorted(keys)
