"""The page-tag screens: an admin defines the tenant's tags (meaning, engagement weight, risk
penalty) — CSRF-checked, refused to reps and for bad input with a code, the meaning escaped
and CJK kept; a rep tags the pages of their document per tag, and tags set over the API that
the screen does not know are kept. Real ClickHouse and a real PDF."""

from __future__ import annotations

from fastapi.testclient import TestClient

from scoring import load_tenant_scoring
from tests.pdfs import proposal
from tests.web.conftest import People, csrf_of, sign_in, upload
from tracker.config import ScoringSettings
from tracker.documents import get_document, get_version, set_page_tags
from tracker.stores.clickhouse import ClickHouse

TAG = "competitor_comparison"


def define(client: TestClient, **fields: str) -> int:
    data = {"csrf": csrf_of(client, "/app/tags"), **fields}
    return client.post("/app/tags", data=data, follow_redirects=False).status_code


def test_an_admin_defines_tags_a_rep_reads_them(
    app_client: TestClient, people: People, clickhouse: ClickHouse
) -> None:
    sign_in(app_client, people.admin)
    meaning = "竞品对比 <b>vs</b> 友商"
    assert define(app_client, name=TAG, meaning=meaning, weight="5", risk_penalty="12") == 303
    assert define(app_client, name="security", meaning="安全合规", weight="3") == 303
    tuning = load_tenant_scoring(clickhouse, people.tenant_id, ScoringSettings()).tuning
    tags = tuning.engagement.page_tags
    assert (tags[TAG].meaning, tags[TAG].weight, tags[TAG].risk_penalty) == (meaning, 5, 12)
    assert tags["security"].risk_penalty == 0
    assert tuning.engagement.warning_tags() == [TAG]

    listing = app_client.get("/app/tags").text
    row = listing.split(f'data-tag="{TAG}"')[1].split("</tr>")[0]
    assert "竞品对比 &lt;b&gt;vs&lt;/b&gt; 友商" in row and "<b>vs</b>" not in listing
    assert "Warning tag" in row and ">12.0 <" in row
    zh = app_client.get("/app/tags", headers={"Accept-Language": "zh-CN"}).text
    assert "标签定义" in zh and "预警标签" in zh and "安全合规" in zh

    # removing one keeps the other
    assert define(app_client, name="security", remove="1") == 303
    tuning = load_tenant_scoring(clickhouse, people.tenant_id, ScoringSettings()).tuning
    assert sorted(tuning.engagement.page_tags) == [TAG]

    # a rep reads the definitions, without the form, and may not change them
    sign_in(app_client, people.rep_a)
    page = app_client.get("/app/tags").text
    assert TAG in page and 'action="/app/tags"' not in page
    refused = app_client.post(
        "/app/tags", data={"csrf": csrf_of(app_client), "name": "x", "weight": "1"}
    )
    assert refused.status_code == 403 and 'data-code="not_an_admin"' in refused.text


def test_bad_definitions_are_refused_with_a_code_and_csrf_is_checked(
    app_client: TestClient, people: People, clickhouse: ClickHouse
) -> None:
    sign_in(app_client, people.admin)
    for fields in (
        {"name": "Has Space"},
        {"name": "pricing"},
        {"name": TAG, "weight": "lots"},
        {"name": TAG, "risk_penalty": "150"},
        {"name": TAG, "meaning": "长" * 101},
    ):
        data = {"csrf": csrf_of(app_client, "/app/tags"), **fields}
        answer = app_client.post("/app/tags", data=data)
        assert answer.status_code == 400, fields
        assert 'data-code="invalid_page_tag"' in answer.text, fields
    forged = app_client.post("/app/tags", data={"name": TAG, "csrf": "forged"})
    assert forged.status_code == 403 and 'data-code="csrf_failed"' in forged.text
    tuning = load_tenant_scoring(clickhouse, people.tenant_id, ScoringSettings()).tuning
    assert tuning.engagement.page_tags == {}


def test_a_rep_tags_the_pages_of_their_document(
    app_client: TestClient, people: People, clickhouse: ClickHouse
) -> None:
    sign_in(app_client, people.admin)
    assert define(app_client, name=TAG, meaning="竞品对比", weight="5", risk_penalty="12") == 303
    sign_in(app_client, people.rep_a)
    doc_id = upload(app_client, "方案建议书", proposal(3))
    doc = get_document(clickhouse, people.tenant_id, doc_id)
    # a tag set over the API that the screen does not offer
    set_page_tags(clickhouse, people.tenant_id, doc_id, doc.current_version_id, {1: ["legal"]})

    path = f"/app/documents/{doc_id}"
    page = app_client.get(path).text
    fieldset = page.split(f'data-tag="{TAG}"')[1].split("</fieldset>")[0]
    assert "竞品对比" in fieldset and fieldset.count('type="checkbox"') == 3
    data = {"csrf": csrf_of(app_client, path), "pricing": ["1"], TAG: ["2", "3", "9", "x"]}
    answer = app_client.post(f"{path}/tags", data=data, follow_redirects=False)
    assert answer.status_code == 303
    version = get_version(clickhouse, people.tenant_id, doc.current_version_id)
    assert version.page_tags == (("legal", "pricing"), (TAG,), (TAG,))
    page = app_client.get(path).text
    assert f'id="{TAG}-2" name="{TAG}" value="2" checked' in page
    assert 'id="pricing-1" name="pricing" value="1" checked' in page

    # unticking clears the known tags only; the API's tag stays
    answer = app_client.post(f"{path}/tags", data={"csrf": csrf_of(app_client, path)})
    version = get_version(clickhouse, people.tenant_id, doc.current_version_id)
    assert version.page_tags == (("legal",), (), ())
    # someone who may not see the document may not tag it
    sign_in(app_client, people.rep_b)
    data = {"csrf": csrf_of(app_client), TAG: ["1"]}
    assert app_client.post(f"{path}/tags", data=data).status_code == 404
