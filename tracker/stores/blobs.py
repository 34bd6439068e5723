"""Content-addressed blob store for PDFs, watermarked copies and page images, under keys
`ab/cd/<sha256>`: files under `<data dir>/blobs` (the embedded default) or an S3-compatible
bucket (`tracker.stores.s3_blobs`, with `CachedBlobStore` in front so hot blobs are read
once per process). File writes are atomic (temp file + rename), so a crash never leaves a
half-written blob under its final name."""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from tracker.config import Settings
from tracker.errors import NotFound

__all__ = [
    "BlobStore",
    "CachedBlobStore",
    "FileBlobStore",
    "HeldBlobs",
    "blob_key",
    "open_blob_store",
    "sha256_hex",
]

_HEX = frozenset("0123456789abcdef")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blob_key(digest: str) -> str:
    """`ab/cd/<digest>`; anything but a sha256 hex digest is an unknown blob."""
    if len(digest) != 64 or not _HEX.issuperset(digest):
        raise NotFound("unknown blob", code="blob_not_found")
    return f"{digest[:2]}/{digest[2:4]}/{digest}"


class BlobStore(Protocol):
    def put(self, data: bytes) -> str: ...
    def get(self, digest: str) -> bytes: ...
    def exists(self, digest: str) -> bool: ...
    def digests(self) -> Iterator[str]: ...
    def delete(self, digest: str) -> bool: ...


class FileBlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, digest: str) -> Path:
        return self.root / blob_key(digest)

    def put(self, data: bytes) -> str:
        digest = sha256_hex(data)
        path = self._path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def get(self, digest: str) -> bytes:
        path = self._path(digest)
        if not path.exists():
            raise NotFound("unknown blob", code="blob_not_found")
        return path.read_bytes()

    def exists(self, digest: str) -> bool:
        return self._path(digest).exists()

    def delete(self, digest: str) -> bool:
        """Removes the blob (a person's erasure); False when it was not there."""
        path = self._path(digest)
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed

    def digests(self) -> Iterator[str]:
        for path in sorted(self.root.glob("??/??/*")):
            if len(path.name) == 64 and _HEX.issuperset(path.name):
                yield path.name


class HeldBlobs:
    """Blobs held in memory by digest, at most `max_bytes`, least recently used out first; a
    blob larger than a quarter of that is not kept. Blobs never change under a digest, so
    nothing held is ever stale. Not thread-safe: a store shared by threads holds a lock
    around it (`CachedBlobStore`)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._held: OrderedDict[str, bytes] = OrderedDict()
        self._size = 0

    def __len__(self) -> int:
        return len(self._held)

    def __contains__(self, digest: object) -> bool:
        return digest in self._held

    @property
    def size(self) -> int:
        return self._size

    def get(self, digest: str) -> bytes | None:
        data = self._held.get(digest)
        if data is not None:
            self._held.move_to_end(digest)
        return data

    def keep(self, digest: str, data: bytes) -> None:
        if len(data) > self.max_bytes // 4 or digest in self._held:
            return
        self._held[digest] = data
        self._size += len(data)
        while self._size > self.max_bytes:
            _, dropped = self._held.popitem(last=False)
            self._size -= len(dropped)

    def forget(self, digest: str) -> None:
        data = self._held.pop(digest, None)
        if data is not None:
            self._size -= len(data)


class CachedBlobStore:
    """A remote store with the most recently read blobs kept in memory (`HeldBlobs`)."""

    def __init__(self, remote: BlobStore, max_bytes: int) -> None:
        self.remote = remote
        self._held = HeldBlobs(max_bytes)
        self._lock = threading.Lock()  # the API reads blobs from a thread pool

    def put(self, data: bytes) -> str:
        digest = self.remote.put(data)
        with self._lock:
            self._held.keep(digest, data)
        return digest

    def get(self, digest: str) -> bytes:
        with self._lock:
            data = self._held.get(digest)
        if data is None:
            data = self.remote.get(digest)
            with self._lock:
                self._held.keep(digest, data)
        return data

    def exists(self, digest: str) -> bool:
        with self._lock:
            if digest in self._held:
                return True
        return self.remote.exists(digest)

    def digests(self) -> Iterator[str]:
        return self.remote.digests()

    def delete(self, digest: str) -> bool:
        with self._lock:
            self._held.forget(digest)
        return self.remote.delete(digest)


def open_blob_store(settings: Settings) -> BlobStore:
    """The deployment's blob store: `DEALSIGNAL_BLOBS__URL=s3://…` or files in the data dir."""
    if not settings.blobs.url:
        return FileBlobStore(settings.data_dir / "blobs")
    from tracker.stores.s3_blobs import S3BlobStore  # boto3 only where it is used

    return CachedBlobStore(S3BlobStore(settings.blobs), settings.blobs.cache_bytes)
