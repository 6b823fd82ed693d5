"""S3 access: the only module that talks to object storage.

Works against AWS S3 and any S3-compatible endpoint (MinIO, moto, LocalStack) configured with
the standard ``AWS_ENDPOINT_URL[_S3]`` variables. URLs are SigV4-presigned and short-lived.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from chalicelib.errors import StorageError


@dataclass(frozen=True)
class ObjectInfo:
    size: int
    etag: str
    content_type: str | None


def attachment_disposition(filename: str) -> str:
    """RFC 6266/5987: an ASCII fallback plus the exact UTF-8 name."""
    fallback = "".join(ch if ch.isascii() and ch.isprintable() and ch not in '"\\' else "_" for ch in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


class Storage:
    def __init__(self, session, addressing_style: str = "auto", credentials: tuple[str, str] | None = None) -> None:
        # Own keys for an S3-compatible store (MinIO) that does not know the platform's AWS credentials.
        keys = {"aws_access_key_id": credentials[0], "aws_secret_access_key": credentials[1]} if credentials else {}
        self._client = session.client(
            "s3", config=BotoConfig(signature_version="s3v4", s3={"addressing_style": addressing_style}), **keys
        )

    def presign_put(self, bucket: str, key: str, content_type: str, content_length: int, ttl: int) -> tuple[str, dict]:
        """A PUT URL bound to the content type and length; returns (url, headers the client must send)."""
        url = self._client.generate_presigned_url(
            "put_object",
            Params={"Bucket": bucket, "Key": key, "ContentType": content_type, "ContentLength": content_length},
            ExpiresIn=ttl,
        )
        return url, {"Content-Type": content_type}

    def presign_put_unsized(self, bucket: str, key: str, content_type: str, ttl: int) -> tuple[str, dict]:
        """A PUT URL for output whose size nobody knows beforehand (GPU renders). A presigned PUT cannot
        cap the size; ingest rejects what exceeds the image limit."""
        url = self._client.generate_presigned_url(
            "put_object", Params={"Bucket": bucket, "Key": key, "ContentType": content_type}, ExpiresIn=ttl)
        return url, {"Content-Type": content_type}

    def presign_get(self, bucket: str, key: str, ttl: int, filename: str | None = None, content_type: str | None = None) -> str:
        params = {"Bucket": bucket, "Key": key}
        if filename:
            params["ResponseContentDisposition"] = attachment_disposition(filename)
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

    def read_all(self, bucket: str, key: str, limit: int) -> bytes:
        """The whole object when it is at most ``limit`` bytes (images); StorageError otherwise."""
        r = self._client.get_object(Bucket=bucket, Key=key)
        if int(r["ContentLength"]) > limit:
            r["Body"].close()
            raise StorageError(f"{key} is larger than {limit} bytes")
        return r["Body"].read()

    def iter_chunks(self, bucket: str, key: str, chunk_size: int = 8 * 1024 * 1024) -> Iterator[bytes]:
        """One streaming GET: the object's bytes in order, never held in memory at once."""
        body = self._client.get_object(Bucket=bucket, Key=key)["Body"]
        try:
            yield from body.iter_chunks(chunk_size)
        finally:
            body.close()

    def put(self, bucket: str, key: str, data: bytes, content_type: str, cache_control: str | None = None) -> None:
        extra = {"CacheControl": cache_control} if cache_control else {}
        self._client.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type, **extra)

    def copy_pinned(self, bucket: str, source: str, target: str, etag: str) -> bool:
        """Server-side copy of exactly the version with ``etag`` (multipart copy above 5 GB);
        False when the source changed or vanished meanwhile."""
        try:
            self._client.copy({"Bucket": bucket, "Key": source}, bucket, target,
                              ExtraArgs={"CopySourceIfMatch": f'"{etag}"', "MetadataDirective": "COPY"})
            return True
        except ClientError as e:
            if e.response["Error"]["Code"] in ("PreconditionFailed", "412", "404", "NoSuchKey"):
                return False
            raise

    def delete(self, bucket: str, keys: list[str]) -> None:
        for i in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[i:i + 1000]]
            if batch:
                self._client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})

    def delete_prefix(self, bucket: str, prefix: str) -> int:
        keys = [o["Key"] for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
                for o in page.get("Contents", [])]
        self.delete(bucket, keys)
        return len(keys)

    def write_stream(self, bucket: str, key: str, chunks, content_type: str, part_size: int = 8 * 1024 * 1024) -> int:
        """Store a stream of unknown length without holding it: multipart when it outgrows one part."""
        buffer, parts, upload_id, number, total = bytearray(), [], None, 0, 0
        try:
            for chunk in chunks:
                buffer += chunk
                total += len(chunk)
                while len(buffer) >= part_size:
                    if upload_id is None:
                        upload_id = self.start_multipart(bucket, key, content_type)
                    number += 1
                    r = self._client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number,
                                                 Body=bytes(buffer[:part_size]))
                    parts.append({"number": number, "etag": r["ETag"]})
                    del buffer[:part_size]
            if upload_id is None:
                self.put(bucket, key, bytes(buffer), content_type)
                return total
            if buffer:
                number += 1
                r = self._client.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number,
                                             Body=bytes(buffer))
                parts.append({"number": number, "etag": r["ETag"]})
            self.complete_multipart(bucket, key, upload_id, parts)
            return total
        except BaseException:
            if upload_id is not None:
                self.abort_multipart(bucket, key, upload_id)
            raise

    # -- multipart uploads (large files, resumable) ------------------------------------
    def start_multipart(self, bucket: str, key: str, content_type: str) -> str:
        return self._client.create_multipart_upload(Bucket=bucket, Key=key, ContentType=content_type)["UploadId"]

    def presign_part(self, bucket: str, key: str, upload_id: str, part_number: int, ttl: int) -> str:
        return self._client.generate_presigned_url(
            "upload_part", Params={"Bucket": bucket, "Key": key, "UploadId": upload_id, "PartNumber": part_number},
            ExpiresIn=ttl)

    def list_parts(self, bucket: str, key: str, upload_id: str) -> list[dict] | None:
        """Uploaded parts [{number, size, etag}], or None when the multipart upload no longer exists."""
        parts, marker = [], 0
        while True:
            try:
                r = self._client.list_parts(Bucket=bucket, Key=key, UploadId=upload_id, PartNumberMarker=marker)
            except ClientError as e:
                if e.response["Error"]["Code"] in ("NoSuchUpload", "404"):
                    return None
                raise StorageError("list parts failed") from e
            parts += [{"number": p["PartNumber"], "size": p["Size"], "etag": p["ETag"]} for p in r.get("Parts", [])]
            if not r.get("IsTruncated"):
                return parts
            marker = r["NextPartNumberMarker"]

    def complete_multipart(self, bucket: str, key: str, upload_id: str, parts: list[dict]) -> None:
        try:
            self._client.complete_multipart_upload(
                Bucket=bucket, Key=key, UploadId=upload_id,
                MultipartUpload={"Parts": [{"PartNumber": p["number"], "ETag": p["etag"]} for p in parts]})
        except ClientError as e:
            if self.head(bucket, key) is not None:
                # A retried completion whose first attempt succeeded but lost its answer (the upload id
                # is gone, some stores then answer 500 rather than NoSuchUpload): the object is there.
                return
            if e.response["Error"]["Code"] in ("EntityTooSmall", "InvalidPart", "InvalidPartOrder", "NoSuchUpload"):
                raise StorageError(e.response["Error"]["Code"]) from None
            raise

    def abort_multipart(self, bucket: str, key: str, upload_id: str) -> None:
        try:
            self._client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
        except ClientError as e:
            if e.response["Error"]["Code"] not in ("NoSuchUpload", "404"):
                raise

    def stale_multipart_uploads(self, bucket: str, prefix: str, older_than: float, limit: int) -> list[tuple[str, str]]:
        """(key, upload id) of multipart uploads started before ``older_than`` (epoch seconds)."""
        found = []
        for page in self._client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, Prefix=prefix):
            found += [(u["Key"], u["UploadId"]) for u in page.get("Uploads", []) if u["Initiated"].timestamp() < older_than]
            if len(found) >= limit:
                break
        return found[:limit]

    def bucket_reachable(self, bucket: str) -> bool:
        try:
            self._client.head_bucket(Bucket=bucket)
            return True
        except Exception:
            return False

    # -- scheduled cleanup ----------------------------------------------------------------------
    def list_after(self, bucket: str, start_after: str | None, max_keys: int) -> tuple[list[tuple[str, float]], str | None]:
        """One ListObjectsV2 page of at most ``max_keys`` (<= 1000) keys in key order after ``start_after``:
        ([(key, last modified, epoch seconds)], the key to continue after, or None at the end of the bucket).
        Resuming after a key (rather than with a continuation token) survives keys deleted meanwhile."""
        params = {"Bucket": bucket, "MaxKeys": max(1, min(1000, max_keys))}
        if start_after:
            params["StartAfter"] = start_after
        r = self._client.list_objects_v2(**params)
        found = [(o["Key"], o["LastModified"].timestamp()) for o in r.get("Contents", [])]
        return found, (found[-1][0] if found and r.get("IsTruncated") else None)

    def delete_reporting(self, bucket: str, keys: list[str]) -> list[str]:
        """Delete ``keys`` (deleting a missing key succeeds); returns the keys the store refused."""
        failed = []
        for i in range(0, len(keys), 1000):
            batch = [{"Key": k} for k in keys[i:i + 1000]]
            if batch:
                r = self._client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
                failed += [e["Key"] for e in r.get("Errors", [])]
        return failed
