"""Retention of copies (issue 18): the watermarked copies and page images made for a
tenant's links are listed when made and deleted by the retention job once older than the
tenant's `copies_days` — on the real file blob store behind the real app, and through the
S3 store (the local S3 API harness); originals and other tenants' copies stay, and a reader
coming back later gets the copy stamped again."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from tests.api.conftest import bearer, make_key
from tests.harness.s3_server import S3Harness
from tests.pdfs import proposal
from tracker.clock import utcnow
from tracker.config import BlobSettings, Settings
from tracker.privacy import CopyKind, enforce_retention, expire_copies, record_copy
from tracker.stores import FileBlobStore, sha256_hex
from tracker.stores.clickhouse import ClickHouse
from tracker.stores.s3_blobs import S3BlobStore
from tracker.types import Scope


def _tenant_with_a_read_copy(client: TestClient, ch: ClickHouse, name: str) -> dict[str, str]:
    tenant, admin = make_key(ch, name, Scope.ADMIN)
    auth = bearer(admin)
    pdf = proposal(2)
    doc = client.post(
        "/api/v1/documents", headers=auth, data={"title": "报价单"},
        files={"file": ("p.pdf", pdf, "application/pdf")},
    ).json()  # fmt: skip
    link = client.post(
        "/api/v1/links", headers=auth,
        json={"document_id": doc["document_id"], "recipients": [{"email": f"{name}@b.example"}]},
    ).json()["links"][0]  # fmt: skip
    copy = client.get(f"/api/v1/links/{link['id']}/pdf", headers=auth).content
    viewer = link["viewer_url"].removeprefix("http://testserver")
    session = re.search(r'data-session="([^"]+)"', client.get(viewer).text).group(1)  # type: ignore[union-attr]
    png = client.get(f"/s/{session}/page/1.png?w=400")
    assert png.status_code == 200
    return {"tenant": tenant, "auth": admin, "original": sha256_hex(pdf), "copy": sha256_hex(copy),
            "png": sha256_hex(png.content), "viewer": viewer, "session": session}  # fmt: skip


def _files(root: Path) -> set[str]:
    return {p.name for p in root.rglob("*") if p.is_file()}


def test_the_retention_job_deletes_copies_older_than_the_tenants_limit(
    client: TestClient, clickhouse: ClickHouse, settings: Settings
) -> None:
    mine = _tenant_with_a_read_copy(client, clickhouse, "short")
    theirs = _tenant_with_a_read_copy(client, clickhouse, "long")
    root = settings.data_dir / "blobs"
    assert {mine["copy"], mine["png"], theirs["copy"], theirs["png"]} <= _files(root)
    kept = client.put(
        "/api/v1/settings/retention", headers=bearer(mine["auth"]),
        json={"events_days": 730, "audit_days": 730, "copies_days": 30},
    )  # fmt: skip
    assert kept.json()["copies_days"] == 30
    assert client.put(
        "/api/v1/settings/retention", headers=bearer(mine["auth"]), json={"copies_days": 0}
    ).status_code == 422  # fmt: skip

    # today nothing is old enough (the job over HTTP); in 31 days the copies are
    assert client.post("/api/v1/jobs/retention/run", headers=bearer(mine["auth"])).is_success
    assert {mine["copy"], mine["png"]} <= _files(root)
    later = utcnow() + timedelta(days=31)
    store = FileBlobStore(root)
    for who in (mine, theirs):
        enforce_retention(clickhouse, who["tenant"], later, blobs=store)
    left = _files(root)
    assert mine["copy"] not in left and mine["png"] not in left
    assert {mine["original"], theirs["original"], theirs["copy"], theirs["png"]} <= left
    rows = clickhouse.query(
        f"SELECT tenant_id, kind FROM {clickhouse.database}.derived_blobs FINAL ORDER BY kind"
    )
    assert {(r["tenant_id"], r["kind"]) for r in rows} == {
        (theirs["tenant"], "copy"), (theirs["tenant"], "page_image")
    }  # fmt: skip

    # the reader comes back: the copy is stamped again (same bytes) and listed anew
    again = client.get(f"/s/{mine['session']}/page/1.png?w=400")
    assert again.status_code == 200 and sha256_hex(again.content) == mine["png"]
    assert {mine["copy"], mine["png"]} <= _files(root)
    relisted = clickhouse.query(
        f"SELECT count() AS n FROM {clickhouse.database}.derived_blobs FINAL "
        "WHERE tenant_id = {t:String}",
        {"t": mine["tenant"]},
    )
    assert relisted[0]["n"] == 2


def test_expired_copies_are_deleted_through_the_s3_store(
    clickhouse: ClickHouse, s3: S3Harness
) -> None:
    bucket = f"ds-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(bucket)
    env = s3.environment(bucket)
    store = S3BlobStore(
        BlobSettings(
            url=env["DEALSIGNAL_BLOBS__URL"], endpoint_url=s3.endpoint_url, region="us-east-1",
            access_key_id=env["DEALSIGNAL_BLOBS__ACCESS_KEY_ID"],
            secret_access_key=env["DEALSIGNAL_BLOBS__SECRET_ACCESS_KEY"], addressing_style="path",
        )
    )  # fmt: skip
    original, copy, png, other = (store.put(f"{n} 报价".encode()) for n in range(4))
    record_copy(clickhouse, "ten_a", "lnk_a", copy, CopyKind.COPY)
    record_copy(clickhouse, "ten_a", "lnk_a", png, CopyKind.PAGE_IMAGE)
    record_copy(clickhouse, "ten_b", "lnk_b", other, CopyKind.COPY)
    assert expire_copies(clickhouse, store, "ten_a", utcnow() - timedelta(days=1)) == 0
    assert expire_copies(clickhouse, store, "ten_a", utcnow() + timedelta(seconds=1)) == 2
    assert set(store.digests()) == {original, other}
