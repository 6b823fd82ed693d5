"""S3 access: the only module that talks to object storage.

Works against AWS S3 and any S3-compatible endpoint (MinIO, moto, LocalStack) configured with
the standard ``AWS_ENDPOINT_URL[_S3]`` variables. URLs are SigV4-presigned and short-lived.
"""
from __future__ import annotations

from dataclasses import dataclass

from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from chalicelib.errors import StorageError


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    etag: str
    content_type: str | None


class Storage:
    def __init__(self, session, addressing_style: str = "auto") -> None:
        self._client = session.client(
            "s3", config=BotoConfig(signature_version="s3v4", s3={"addressing_style": addressing_style})
        )

    def presign_put(self, bucket: str, key: str, content_type: str, content_length: int, ttl: int) -> tuple[str, dict]:
        """A PUT URL bound to the content type and length; returns (url, headers the client must send)."""
        url = self._client.generate_presigned_url(
            "put_object",
            Params={"Bucket": bucket, "Key": key, "ContentType": content_type, "ContentLength": content_length},
            ExpiresIn=ttl,
        )
        return url, {"Content-Type": content_type}

    def presign_get(self, bucket: str, key: str, ttl: int, filename: str | None = None, content_type: str | None = None) -> str:
        params = {"Bucket": bucket, "Key": key}
        if filename:
            params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
        if content_type:
            params["ResponseContentType"] = content_type
        return self._client.generate_presigned_url("get_object", Params=params, ExpiresIn=ttl)

    def head(self, bucket: str, key: str) -> ObjectInfo | None:
        try:
            r = self._client.head_object(Bucket=bucket, Key=key)
        except ClientError as e:
            if e.response["Error"]["Code"] in ("404", "NoSuchKey", "NotFound"):
                return None
            raise StorageError(f"head {key} failed") from e
        return ObjectInfo(int(r["ContentLength"]), r["ETag"].strip('"'), r.get("ContentType"))

    def read_range(self, bucket: str, key: str, start: int, length: int) -> bytes:
        """Bytes [start, start+length) — never the whole object."""
        if length <= 0:
            return b""
        try:
            r = self._client.get_object(Bucket=bucket, Key=key, Range=f"bytes={start}-{start + length - 1}")
        except ClientError as e:
            if e.response["Error"]["Code"] == "InvalidRange":
                return b""
            raise StorageError(f"ranged read of {key} failed") from e
        return r["Body"].read(length)

    def bucket_reachable(self, bucket: str) -> bool:
        try:
            self._client.head_bucket(Bucket=bucket)
            return True
        except Exception:
            return False
