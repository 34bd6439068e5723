"""The deal page lists the deal's open early-warning signals with their proof, in the
reader's language (两次取消的定期会议 on a CRM deal)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.web.conftest import People, sign_in
from tests.web.test_web_access import _opportunity
from tracker.crm.activities import Activity, record_activities
from tracker.crm.opportunities import upsert_opportunities
from tracker.stores.clickhouse import ClickHouse


def test_the_deal_page_shows_cancelled_recurring_meetings_in_zh_and_en(
    app_client: TestClient, people: People, clickhouse: ClickHouse
) -> None:
    upsert_opportunities(
        clickhouse, people.tenant_id, [_opportunity("opp-weekly", people.rep_a, "华为技术")]
    )
    now = datetime.now(UTC)
    record_activities(clickhouse, people.tenant_id, [
        Activity(f"m-{i}", "opp-weekly", "meeting", now - timedelta(days=7 * (3 - i), hours=1),
                 held=i < 2, series_id="weekly-1")
        for i in range(4)
    ])  # fmt: skip
    sign_in(app_client, people.rep_a)
    page = app_client.get("/app/deals/opp-weekly").text
    warnings = page.split('id="warnings-heading"')[1].split("</section>")[0]
    assert "2 meetings of the recurring series weekly-1 were cancelled within 30 days" in warnings
    assert "<code>m-2</code>, <code>m-3</code>" in warnings
    zh = app_client.get("/app/deals/opp-weekly", headers={"Accept-Language": "zh-CN"}).text
    assert "预警信号" in zh and "定期会议 weekly-1 在 30 天内被取消 2 次" in zh
