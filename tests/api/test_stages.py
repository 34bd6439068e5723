"""证据导向阶段: stage definitions per tenant, evidence uploads (files through the upload
limits and sanitising, images re-encoded, references), the unverified stage forecast at the
last verified stage (relaxed), the 409 refusal (strict), and tenant isolation."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient
from PIL import Image, PngImagePlugin

from tests.api.conftest import bearer, make_key
from tests.pdfs import proposal
from tracker.clock import utcnow
from tracker.config import Settings
from tracker.stores import FileBlobStore
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope


def opp(stage: str, **changes: Any) -> dict[str, Any]:
    return {"account": "比亚迪", "amount": "100000", "currency": "CNY", "stage": stage,
            "probability": 60, "forecast_category": "commit", "owner": "rep@x.cn",
            "updated_at": utcnow().isoformat(), **changes}  # fmt: skip


def png(comment: str = "") -> bytes:
    info = PngImagePlugin.PngInfo()
    if comment:
        info.add_text("Comment", comment)
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (200, 30, 30)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def forecast(client: TestClient, auth: dict[str, str], opportunity: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/opportunities/{opportunity}/forecast", headers=auth)
    assert response.status_code == 200, response.text
    return dict(response.json())


def evidence_rows(ch: ClickHouse) -> int:
    return int(ch.query(f"SELECT count() AS n FROM {ch.database}.opportunity_evidence")[0]["n"])


def test_default_stages_and_invalid_definitions(client: TestClient, clickhouse: ClickHouse) -> None:
    _, key = make_key(clickhouse, "华南", Scope.ADMIN)
    auth = bearer(key)
    stages = client.get("/api/v1/settings/stages", headers=auth).json()
    assert [s["stage"] for s in stages["stages"]] == [
        "prospecting", "qualification", "discovery", "proposal", "negotiation"
    ]  # fmt: skip
    assert stages["stages"][4] == {
        "stage": "negotiation",
        "label_zh": "合同审批",
        "label_en": "Contract approval",
        "probability": 70,
        "required_evidence": ["nda_signed", "legal_approval"],
    }
    assert stages["strict"] is False
    one = {
        "stage": "proposal",
        "label_zh": "商务谈判",
        "label_en": "Negotiation",
        "probability": 50,
    }
    for bad in (
        {"stages": [one, one]},
        {"stages": [{**one, "stage": "closed_won"}]},
        {"stages": [{**one, "required_evidence": ["no_such_kind"]}]},
        {"stages": [{**one, "probability": 120}]},
        {"stages": [one], "surprise": True},
        {"stages": [one], "evidence_kinds": [{"name": "nda_signed", "label_zh": "x",
                                              "label_en": "x", "form": "file"}]},
    ):  # fmt: skip
        response = client.put("/api/v1/settings/stages", json=bad, headers=auth)
        assert response.status_code == 422, (bad, response.text)
    assert client.get("/api/v1/settings/stages", headers=auth).json() == stages


def test_relaxed_unverified_stage_is_forecast_at_the_last_verified_one(
    client: TestClient, clickhouse: ClickHouse, settings: Settings
) -> None:
    _, key = make_key(clickhouse, "华南", Scope.ADMIN)
    auth = bearer(key)
    assert (
        client.put("/api/v1/opportunities/o1", json=opp("proposal"), headers=auth).status_code
        == 200
    )
    f = forecast(client, auth, "o1")
    # 商务谈判 needs the NDA; 方案演示 and 需求确认 the pain list → forecast at 初步接触 (10 %)
    assert (f["stage"], f["stage_verified"], f["forecast_stage"]) == (
        "proposal",
        False,
        "prospecting",
    )
    assert f["missing_evidence"] == ["nda_signed"]
    first = f["evidence"][0]
    assert (first["code"], first["holds"]) == ("unverified_stage", False)
    assert first["summary"] == "proposal lacks nda_signed: forecast at prospecting"
    assert (f["probability"], f["crm_probability"]) == (10, 60)  # percent, as the CRM sends
    assert Decimal(f["crm_forecast"]) == 10_000

    url = "/api/v1/opportunities/o1/evidence"
    scan = {"file": ("痛点清单.png", png("GPS 31.2,121.5"), "image/png")}
    created = client.post(url, data={"kind": "customer_pain_list"}, files=scan, headers=auth)
    assert created.status_code == 201, created.text
    stored = FileBlobStore(settings.data_dir / "blobs").get(created.json()["sha256"])
    with Image.open(io.BytesIO(stored)) as img:
        assert img.size == (40, 20) and "Comment" not in img.info  # re-encoded, metadata gone
    f = forecast(client, auth, "o1")
    assert f["forecast_stage"] == "discovery" and Decimal(f["crm_forecast"]) == 35_000

    nda = {"file": ("NDA.pdf", proposal(1), "application/pdf")}
    assert client.post(url, data={"kind": "nda_signed"}, files=nda, headers=auth).status_code == 201
    f = forecast(client, auth, "o1")
    assert f["stage_verified"] and f["forecast_stage"] == "proposal" and f["missing_evidence"] == []
    assert "unverified_stage" not in {i["code"] for i in f["evidence"]}
    assert Decimal(f["crm_forecast"]) == 60_000  # the CRM's own probability again
    listed = client.get(url, headers=auth).json()
    assert [e["kind"] for e in listed["items"]] == ["customer_pain_list", "nda_signed"]
    assert listed["stage_check"] == {"stage": "proposal", "verified": True, "missing": [],
                                     "forecast_stage": "proposal"}  # fmt: skip

    # withdrawing the NDA unverifies the stage again; another tenant cannot withdraw it
    nda_id = listed["items"][1]["id"]
    _, other = make_key(clickhouse, "华北", Scope.CRM)
    assert client.delete(f"{url}/{nda_id}", headers=bearer(other)).status_code == 404
    assert client.delete(f"{url}/{nda_id}", headers=auth).status_code == 204
    gone = client.delete(f"{url}/{nda_id}", headers=auth)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "evidence_not_found"
    assert client.delete(f"{url}/not-an-id", headers=auth).status_code == 422
    f = forecast(client, auth, "o1")
    assert not f["stage_verified"] and f["forecast_stage"] == "discovery"
    assert [e["kind"] for e in client.get(url, headers=auth).json()["items"]] == [
        "customer_pain_list"
    ]


def test_bad_evidence_is_refused_with_nothing_stored(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    _, key = make_key(clickhouse, "华南", Scope.CRM)
    _, other = make_key(clickhouse, "华北", Scope.REPS)
    auth = bearer(key)
    assert (
        client.put("/api/v1/opportunities/o1", json=opp("proposal"), headers=auth).status_code
        == 200
    )
    url = "/api/v1/opportunities/o1/evidence"
    cases = [
        ({"kind": "golden_ticket"}, None, 400, "unknown_evidence_kind"),
        ({"kind": "legal_approval"}, None, 400, "reference_required"),
        ({"kind": "legal_approval", "reference": "FW-1"}, ("a.png", png(), "image/png"), 400,
         "reference_required"),
        ({"kind": "nda_signed"}, None, 400, "file_required"),
        ({"kind": "nda_signed"}, ("nda.pdf", b"%PDF-1.7 but nothing else", "application/pdf"),
         422, "truncated_pdf"),
        ({"kind": "nda_signed"}, ("nda.pdf", b"not a pdf at all", "application/pdf"), 422,
         "unsupported_evidence_file"),
        ({"kind": "capacity_confirmed"}, ("shot.png", png()[:60], "image/png"), 422,
         "invalid_image"),
        ({"kind": "capacity_confirmed"}, ("shot.gif", b"GIF89a" + b"\0" * 40, "image/gif"), 422,
         "unsupported_evidence_file"),
    ]  # fmt: skip
    for data, upload, status, code in cases:
        files = {"file": upload} if upload else None
        response = client.post(url, data=data, files=files, headers=auth)
        assert response.status_code == status, (data, response.text)
        assert response.json()["error"]["code"] == code, (data, response.text)
    assert evidence_rows(clickhouse) == 0
    # another tenant's opportunity: 404 both ways, nothing stored
    shot = {"file": ("shot.png", png(), "image/png")}
    miss = client.post(url, data={"kind": "capacity_confirmed"}, files=shot, headers=bearer(other))
    assert miss.status_code == 404 and miss.json()["error"]["code"] == "opportunity_not_found"
    assert client.get(url, headers=bearer(other)).status_code == 404
    assert evidence_rows(clickhouse) == 0
    assert (
        client.post(url, data={"kind": "capacity_confirmed"}, files=shot, headers=auth).status_code
        == 201
    )


def test_strict_mode_refuses_a_stage_push_without_its_evidence(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    _, key = make_key(clickhouse, "华南", Scope.ADMIN)
    _, other = make_key(clickhouse, "华北", Scope.ADMIN)
    auth = bearer(key)
    custom = client.get("/api/v1/settings/stages", headers=auth).json()
    custom["strict"] = True
    custom["evidence_kinds"] = [{"name": "poc_report", "label_zh": "POC 报告",
                                 "label_en": "POC report", "form": "file"}]  # fmt: skip
    custom["stages"][2]["required_evidence"] = ["poc_report"]  # 方案演示 needs a POC report
    put = client.put("/api/v1/settings/stages", json=custom, headers=auth)
    assert put.status_code == 200, put.text

    refused = client.put("/api/v1/opportunities/o1", json=opp("discovery"), headers=auth)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "stage_evidence_missing"
    assert error["details"] == {"opportunity_id": "o1", "stage": "discovery",
                                "missing": ["poc_report"]}  # fmt: skip
    assert client.get("/api/v1/opportunities/o1", headers=auth).status_code == 404
    assert (
        client.put("/api/v1/opportunities/o1", json=opp("prospecting"), headers=auth).status_code
        == 200
    )
    # a batch with one refused item writes nothing
    batch = {"items": [{"id": "o2", **opp("prospecting")}, {"id": "o1", **opp("discovery")}]}
    assert client.post("/api/v1/opportunities:batch", json=batch, headers=auth).status_code == 409
    assert client.get("/api/v1/opportunities/o2", headers=auth).status_code == 404
    report = {"file": ("POC.pdf", proposal(2), "application/pdf")}
    url = "/api/v1/opportunities/o1/evidence"
    assert (
        client.post(url, data={"kind": "poc_report"}, files=report, headers=auth).status_code == 201
    )
    moved = client.put("/api/v1/opportunities/o1", json=opp("discovery"), headers=auth)
    assert moved.status_code == 200 and moved.json()["stage"] == "discovery"
    # re-sending the stage it already has is never refused; the other tenant is not strict
    assert (
        client.put("/api/v1/opportunities/o1", json=opp("discovery"), headers=auth).status_code
        == 200
    )
    assert client.put("/api/v1/opportunities/o1", json=opp("negotiation"),
                      headers=bearer(other)).status_code == 200  # fmt: skip
    assert client.get("/api/v1/settings/stages", headers=bearer(other)).json()["strict"] is False
