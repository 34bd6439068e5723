"""The issue's 'done when': three recipients, each copy rewritten by qpdf and Ghostscript,
identify names the right recipient every time."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import bearer, make_key
from tests.pdfs import proposal
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope


def _rewrite(tool: str, data: bytes, tmp: Path) -> bytes:
    source, target = tmp / "in.pdf", tmp / "out.pdf"
    source.write_bytes(data)
    binary = shutil.which(tool)
    assert binary, f"{tool} is required (make test installs it)"
    if tool == "qpdf":
        command = [binary, "--object-streams=generate", str(source), str(target)]
    else:
        command = [
            binary,
            "-q",
            "-dNOPAUSE",
            "-dBATCH",
            "-sDEVICE=pdfwrite",
            f"-sOutputFile={target}",
            str(source),
        ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    return target.read_bytes()


@pytest.fixture
def three_copies(
    client: TestClient, clickhouse: ClickHouse
) -> tuple[str, list[tuple[dict, bytes]]]:
    _, key = make_key(clickhouse, "acme", Scope.REPS)
    doc = client.post(
        "/api/v1/documents",
        headers=bearer(key),
        files={"file": ("p.pdf", proposal(3), "application/pdf")},
        data={"title": "Proposal"},
    ).json()
    recipients = [
        {"email": "wang@example.cn", "name": "王总"},
        {"email": "kim@example.kr", "name": "김민준"},
        {"email": "yamada@example.jp", "name": "山田太郎"},
    ]
    links = client.post(
        "/api/v1/links",
        headers=bearer(key),
        json={"document_id": doc["document_id"], "recipients": recipients},
    ).json()["links"]
    copies = []
    for link in links:
        response = client.get(f"/api/v1/links/{link['id']}/pdf", headers=bearer(key))
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert "filename*=UTF-8''p.pdf" in response.headers["content-disposition"]
        copies.append((link, response.content))
    return key, copies


@pytest.mark.parametrize("tool", ["untouched", "qpdf", "gs"])
def test_identify_names_each_recipient(
    client: TestClient,
    three_copies: tuple[str, list[tuple[dict, bytes]]],
    tool: str,
    tmp_path: Path,
) -> None:
    key, copies = three_copies
    for link, copy in copies:
        leaked = copy if tool == "untouched" else _rewrite(tool, copy, tmp_path)
        response = client.post(
            "/api/v1/identify",
            headers=bearer(key),
            files={"file": ("leak.pdf", leaked, "application/pdf")},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["found"] and body["link_ids"] == [link["id"]]
        assert body["links"][0]["recipient_name"] == link["recipient"]["name"]
        assert body["links"][0]["version_revision"] == 1
        if tool == "untouched":
            assert "byte-identical" in body["links"][0]["version_evidence"]


def test_another_tenant_learns_nothing(
    client: TestClient, clickhouse: ClickHouse, three_copies: tuple[str, list[tuple[dict, bytes]]]
) -> None:
    _, other = make_key(clickhouse, "rival", Scope.REPS)
    _, copies = three_copies
    response = client.post(
        "/api/v1/identify",
        headers=bearer(other),
        files={"file": ("leak.pdf", copies[0][1], "application/pdf")},
    )
    assert response.status_code == 200
    assert response.json()["found"] is False and response.json()["links"] == []


def test_a_plain_pdf_has_no_marks(client: TestClient, clickhouse: ClickHouse) -> None:
    _, key = make_key(clickhouse, "acme", Scope.REPS)
    response = client.post(
        "/api/v1/identify",
        headers=bearer(key),
        files={"file": ("x.pdf", proposal(2), "application/pdf")},
    )
    assert response.status_code == 200
    assert response.json()["found"] is False and response.json()["confidence"] == "none"
