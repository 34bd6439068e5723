"""`dealsignal blobs migrate`: copy a data dir's blobs (uploaded PDFs, watermarked copies,
page images) into the configured S3-compatible store, so API hosts stop needing shared disk.
Content-addressed keys make it idempotent: a blob already there is skipped, and each copy is
read back and checked against its digest."""

from __future__ import annotations

from pathlib import Path

import typer

from api.cli.store import fail
from tracker.config import Settings

__all__ = ["blobs_app"]

blobs_app = typer.Typer(help="Blob store (PDFs, copies, page images).", no_args_is_help=True)


@blobs_app.command("migrate")
def migrate(
    source: Path | None = typer.Option(None, help="blobs folder (default: <data dir>/blobs)"),
) -> None:
    """Copy every local blob into the store named by DEALSIGNAL_BLOBS__URL (s3://…)."""
    from tracker.stores import FileBlobStore, open_blob_store

    settings = Settings()
    if not settings.blobs.url:
        fail("set DEALSIGNAL_BLOBS__URL=s3://bucket/prefix (and its endpoint and keys) first")
    folder = source or settings.data_dir / "blobs"
    if not folder.is_dir():
        fail(f"{folder} is not a folder")
    local, remote = FileBlobStore(folder), open_blob_store(settings)
    copied = present = 0
    for digest in local.digests():
        if remote.exists(digest):
            present += 1
            continue
        if remote.put(local.get(digest)) != digest:
            fail(f"{digest}: the store kept other bytes")
        copied += 1
    typer.echo(f"{copied} copied, {present} already there ({settings.blobs.url})")
