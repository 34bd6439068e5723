"""Retention of the copies made for a tenant's links: every watermarked copy and page image
is listed in `derived_blobs` when it is made (`record_copy`), and the retention job deletes
the blobs made before the tenant's `copies_days` (`expire_copies`) — from whichever blob
store the deployment uses (files or S3: only `BlobStore.delete` is needed).

A Redis pointer left to a deleted blob is harmless: the viewer checks that the blob exists
before serving it and stamps the copy again when it does not (stamping is deterministic),
which lists it anew with a fresh time."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import pyarrow as pa

from tracker.clock import TS, utcnow, version_now
from tracker.stores import BlobStore, ClickHouse, delete_rows

__all__ = ["CopyKind", "expire_copies", "record_copy"]


class CopyKind(StrEnum):
    COPY = "copy"  # a recipient's watermarked PDF
    PAGE_IMAGE = "page_image"  # a page of that copy rendered for the viewer


def record_copy(ch: ClickHouse, tenant_id: str, link_id: str, digest: str, kind: CopyKind) -> None:
    ch.insert(
        "derived_blobs",
        pa.table(
            {
                "tenant_id": [tenant_id],
                "digest": [digest],
                "kind": [kind.value],
                "link_id": [link_id],
                "made_at": pa.array([utcnow()], TS),
                "version": pa.array([version_now()], pa.uint64()),
            }
        ),
    )


_OLD = "tenant_id = {tenant:String} AND made_at < fromUnixTimestamp64Milli({before:Int64})"


def expire_copies(
    ch: ClickHouse,
    blobs: BlobStore,
    tenant_id: str,
    before: datetime,
    *,
    cluster: str | None = None,
) -> int:
    """Deletes the tenant's copies and page images last made before `before`, and their
    rows; returns how many blobs were removed."""
    params = {"tenant": tenant_id, "before": int(before.timestamp() * 1000)}
    rows = ch.query(
        f"SELECT digest FROM {ch.database}.derived_blobs FINAL WHERE {_OLD} ORDER BY digest",
        params,
    )
    removed = sum(blobs.delete(str(row["digest"])) for row in rows)
    ch.command(delete_rows(ch.database, "derived_blobs", _OLD, cluster), params)
    return removed
