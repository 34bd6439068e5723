"""The blob stores: files, S3 (through the local S3 API harness), the in-memory cache in
front of S3, the driver-error map, and `dealsignal blobs migrate`."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from tests.harness.s3_server import S3Harness
from tracker.config import BlobSettings, Settings
from tracker.errors import BlobStoreError, BlobStoreUnavailable, NotFound
from tracker.stores import CachedBlobStore, FileBlobStore, open_blob_store, sha256_hex
from tracker.stores.s3_blobs import S3BlobStore

ROOT = Path(__file__).parents[2]


def _settings(s3: S3Harness, bucket: str, **extra: object) -> BlobSettings:
    env = s3.environment(bucket)
    return BlobSettings(
        url=env["DEALSIGNAL_BLOBS__URL"],
        endpoint_url=s3.endpoint_url,
        region="us-east-1",
        access_key_id=env["DEALSIGNAL_BLOBS__ACCESS_KEY_ID"],
        secret_access_key=env["DEALSIGNAL_BLOBS__SECRET_ACCESS_KEY"],
        addressing_style="path",
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture
def bucket(s3: S3Harness) -> str:
    name = f"ds-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(name)
    return name


def test_s3_store_round_trip_under_content_addressed_keys(s3: S3Harness, bucket: str) -> None:
    store = S3BlobStore(_settings(s3, bucket, server_side_encryption="AES256"))
    data = "报价单 · proposal".encode() * 1000
    digest = store.put(data)
    assert digest == sha256_hex(data)
    assert store.put(data) == digest  # the same bytes: the same object, not a second one
    assert store.get(digest) == data and store.exists(digest)
    key = f"blobs/{digest[:2]}/{digest[2:4]}/{digest}"
    head = s3.client().head_object(Bucket=bucket, Key=key)  # type: ignore[attr-defined]
    assert head["ServerSideEncryption"] == "AES256"
    assert list(store.digests()) == [digest]


def test_s3_store_multipart_upload_of_a_large_blob(s3: S3Harness, bucket: str) -> None:
    store = S3BlobStore(_settings(s3, bucket))
    data = os.urandom(9 << 20)  # above the 8 MiB multipart threshold
    assert store.get(store.put(data)) == data


def test_s3_store_errors_are_mapped_once(s3: S3Harness, bucket: str) -> None:
    store = S3BlobStore(_settings(s3, bucket))
    missing = "0" * 64
    assert not store.exists(missing)
    with pytest.raises(NotFound):
        store.get(missing)
    with pytest.raises(NotFound):
        store.get("../../etc/passwd")  # not a digest: never reaches the store
    with pytest.raises(BlobStoreError) as refused:  # no such bucket: refused, not retried
        S3BlobStore(_settings(s3, f"{bucket}-absent")).put(b"x")
    assert refused.value.status == 500 and "absent" not in str(refused.value.to_dict())
    down = BlobSettings(url="s3://b/p", endpoint_url="http://127.0.0.1:9", region="us-east-1",
                        access_key_id="k", secret_access_key="s")  # type: ignore[arg-type]  # fmt: skip
    with pytest.raises(BlobStoreUnavailable) as unreachable:
        S3BlobStore(down).get("1" * 64)
    assert unreachable.value.status == 503


class _Counting(FileBlobStore):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.reads = 0

    def get(self, digest: str) -> bytes:
        self.reads += 1
        return super().get(digest)


def test_cache_in_front_reads_each_blob_once_and_stays_bounded(tmp_path: Path) -> None:
    remote = _Counting(tmp_path / "remote")
    cache = CachedBlobStore(remote, max_bytes=4000)
    digests = [remote.put(bytes([n]) * 900) for n in range(6)]  # 5 400 bytes in all
    for digest in digests:
        cache.get(digest)
    assert remote.reads == 6
    cache.get(digests[-1])  # recent: from memory
    assert remote.reads == 6
    cache.get(digests[0])  # least recent: evicted, read again
    assert remote.reads == 7
    big = remote.put(b"x" * 2000)  # over a quarter of the budget: never kept
    cache.get(big), cache.get(big)
    assert remote.reads == 9


def test_the_deployment_picks_its_store_from_the_settings(tmp_path: Path, s3: S3Harness,
                                                          bucket: str) -> None:  # fmt: skip
    local = open_blob_store(Settings(data_dir=tmp_path))
    assert isinstance(local, FileBlobStore) and local.root == tmp_path / "blobs"
    remote = open_blob_store(Settings(data_dir=tmp_path, blobs=_settings(s3, bucket)))
    assert isinstance(remote, CachedBlobStore) and isinstance(remote.remote, S3BlobStore)
    with pytest.raises(ValueError, match="s3://bucket/prefix"):
        BlobSettings(url="gs://elsewhere")


def test_blobs_migrate_copies_a_data_dirs_blobs_to_s3(tmp_path: Path, s3: S3Harness,
                                                      bucket: str) -> None:  # fmt: skip
    files = FileBlobStore(tmp_path / "data" / "blobs")
    digests = sorted(files.put(f"副本 {n}".encode()) for n in range(3))
    env = {**os.environ, "DEALSIGNAL_DATA_DIR": str(tmp_path / "data"), **s3.environment(bucket)}

    def migrate() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "api.cli.commands", "blobs", "migrate"],
            env=env, cwd=ROOT, capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip

    first = migrate()
    assert first.returncode == 0, first.stderr
    assert "3 copied, 0 already there" in first.stdout
    store = S3BlobStore(_settings(s3, bucket))
    assert sorted(store.digests()) == digests
    assert all(store.get(d) == files.get(d) for d in digests)
    again = migrate()
    assert "0 copied, 3 already there" in again.stdout


def test_delete_removes_a_blob_everywhere_it_was(
    s3: S3Harness, bucket: str, tmp_path: Path
) -> None:
    for store in (
        FileBlobStore(tmp_path / "files"),
        CachedBlobStore(S3BlobStore(_settings(s3, bucket)), max_bytes=1 << 20),
    ):
        digest = store.put("王总的副本".encode())
        store.get(digest)  # now also in the cache, where there is one
        assert store.delete(digest) is True
        assert not store.exists(digest)
        with pytest.raises(NotFound):
            store.get(digest)
        assert store.delete(digest) is False
