"""Blobs on an S3-compatible store (AWS S3, MinIO, Aliyun OSS, Tencent COS), under
content-addressed keys `<prefix>/ab/cd/<sha256>` — the layout of the file store, so a data
dir's blobs copy across unchanged (`dealsignal blobs migrate`).

Driver errors are translated here, once: a missing object → `NotFound`; a transport failure,
a throttle or a 5xx → `BlobStoreUnavailable` (503, retry); anything else the store refuses
(access denied, no such bucket) → `BlobStoreError` (500, logged; no store text to clients).
Presigned URLs are never made: buyers get bytes only through the viewer's checks."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from tracker.config import BlobSettings
from tracker.errors import BlobStoreError, BlobStoreUnavailable, NotFound
from tracker.stores.blobs import blob_key, sha256_hex

__all__ = ["S3BlobStore"]

log = logging.getLogger(__name__)

_MISSING = {"404", "NoSuchKey", "NotFound"}
_RETRY = {"SlowDown", "Throttling", "ThrottlingException", "RequestTimeout",
          "InternalError", "ServiceUnavailable", "503", "500"}  # fmt: skip
# Multipart above 8 MiB, in 8 MiB parts, two at a time: memory stays a few parts.
_TRANSFER = TransferConfig(multipart_threshold=8 << 20, multipart_chunksize=8 << 20,
                           max_concurrency=2)  # fmt: skip


def _translate(exc: Exception, action: str, key: str) -> Exception:
    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _MISSING:
            return NotFound("unknown blob", code="blob_not_found")
        log.warning("blob store refused %s %s: %s", action, key, exc)
        if code in _RETRY:
            return BlobStoreUnavailable(f"blob store {action} {key}: {code}")
        return BlobStoreError(f"blob store {action} {key}: {code}")
    log.warning("blob store unreachable for %s %s: %s", action, key, exc)
    return BlobStoreUnavailable(f"blob store {action} {key}: {exc}")


class S3BlobStore:
    def __init__(self, settings: BlobSettings, client: Any | None = None) -> None:
        bucket, _, prefix = settings.url.removeprefix("s3://").partition("/")
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self._extra = (
            {"ServerSideEncryption": settings.server_side_encryption}
            if settings.server_side_encryption
            else {}
        )
        self._client = client or boto3.client(
            "s3",
            endpoint_url=settings.endpoint_url or None,
            region_name=settings.region or None,
            aws_access_key_id=settings.access_key_id or None,
            aws_secret_access_key=settings.secret_access_key.get_secret_value() or None,
            config=Config(
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
                s3={"addressing_style": settings.addressing_style},
            ),
        )

    def _key(self, digest: str) -> str:
        key = blob_key(digest)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, data: bytes) -> str:
        digest = sha256_hex(data)
        if self.exists(digest):  # content-addressed: the same bytes are already there
            return digest
        key = self._key(digest)
        try:
            self._client.upload_fileobj(
                io.BytesIO(data), self.bucket, key, ExtraArgs=self._extra, Config=_TRANSFER
            )
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, "put", key) from exc
        return digest

    def get(self, digest: str) -> bytes:
        key = self._key(digest)
        sink = io.BytesIO()
        try:
            self._client.download_fileobj(self.bucket, key, sink, Config=_TRANSFER)
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, "get", key) from exc
        data = sink.getvalue()
        if sha256_hex(data) != digest:  # a store that hands back other bytes is broken
            raise BlobStoreError(f"blob store returned other bytes for {key}")
        return data

    def exists(self, digest: str) -> bool:
        key = self._key(digest)
        try:
            self._client.head_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            translated = _translate(exc, "head", key)
            if isinstance(translated, NotFound):
                return False
            raise translated from exc
        return True

    def delete(self, digest: str) -> bool:
        existed = self.exists(digest)
        key = self._key(digest)
        try:
            self._client.delete_object(Bucket=self.bucket, Key=key)
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, "delete", key) from exc
        return existed

    def digests(self) -> Iterator[str]:
        paginator = self._client.get_paginator("list_objects_v2")
        prefix = f"{self.prefix}/" if self.prefix else ""
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    yield str(item["Key"]).rsplit("/", 1)[-1]
        except (ClientError, BotoCoreError) as exc:
            raise _translate(exc, "list", prefix) from exc
