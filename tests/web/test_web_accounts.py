"""The account page: the four pillars, the band, the band actions taken and the freeze, for
the people who may see the account only; names escaped."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient

from tests.web.conftest import People, sign_in
from tracker.crm import Account, AccountFinance, put_account, put_finance, record_freeze
from tracker.crm.activities import Activity, record_activities
from tracker.crm.opportunities import Opportunity, upsert_opportunities
from tracker.stores.clickhouse import ClickHouse


def seed(ch: ClickHouse, people: People) -> None:
    now = datetime.now(UTC)
    t = people.tenant_id
    put_account(ch, Account(t, "acc_a", "苏州精工<script>alert(1)</script>", now, industry="制造业",
                            annual_revenue=Decimal("5e6"), currency="CNY",
                            industry_growth_pct=-8.0, contract_start=date(2024, 6, 1)))  # fmt: skip
    put_finance(ch, AccountFinance(t, "acc_a", now.date(), 0.6, Decimal(0), Decimal(1),
                                   Decimal(0), "CNY", now, 42.0))  # fmt: skip
    put_account(ch, Account(t, "acc_b", "Bob 的客户", now, owner=people.rep_b))
    upsert_opportunities(ch, t, [Opportunity(
        opportunity_id="opp_a", account="acc_a", amount=Decimal(1000), currency="CNY",
        stage="proposal", probability=40, forecast_category="pipeline", owner=people.rep_a,
        updated_at=now,
    )])  # fmt: skip
    record_freeze(ch, t, "acc_a", frozen=True, reason="health band red (24.1)", actor="system")
    put_account(ch, Account(people.other_tenant_id, "acc_x", "别家客户", now))


def test_account_pages_show_the_pillars_to_those_who_may_see_them(
    app_client: TestClient, people: People, clickhouse: ClickHouse
) -> None:
    seed(clickhouse, people)
    sign_in(app_client, people.rep_a)
    listing = app_client.get("/app/accounts")
    assert listing.status_code == 200
    assert "/app/accounts/acc_a" in listing.text and "acc_b" not in listing.text
    page = app_client.get("/app/accounts/acc_a")
    assert page.status_code == 200
    for name in ("商业潜力", "合作深度", "关系质量", "风险信号"):
        assert name in page.text
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
    assert "health band red (24.1)" in page.text and "Industry growth -8 %" in page.text
    assert app_client.get("/app/accounts/acc_b").status_code == 404  # Bob's
    assert app_client.get("/app/accounts/acc_x").status_code == 404  # another tenant's
    sign_in(app_client, people.admin)
    assert "/app/accounts/acc_b" in app_client.get("/app/accounts").text
    sign_in(app_client, people.outsider)
    assert app_client.get("/app/accounts/acc_a").status_code == 404


def test_the_account_page_lists_its_deals_early_warnings(
    app_client: TestClient, people: People, clickhouse: ClickHouse
) -> None:
    seed(clickhouse, people)
    now = datetime.now(UTC)
    record_activities(clickhouse, people.tenant_id, [
        Activity(f"m-{i}", "opp_a", "meeting", now - timedelta(days=7 * (3 - i), hours=1),
                 held=i < 2, series_id="weekly-1")
        for i in range(4)
    ])  # fmt: skip
    sign_in(app_client, people.rep_a)
    zh = app_client.get("/app/accounts/acc_a", headers={"Accept-Language": "zh-CN"}).text
    warnings = zh.split('id="warnings-heading"')[1].split("</section>")[0]
    assert '<a href="/app/deals/opp_a">opp_a</a>' in warnings
    assert "定期会议 weekly-1 在 30 天内被取消 2 次" in warnings
    sign_in(app_client, people.rep_b)  # Bob sees neither the account nor its deal
    assert app_client.get("/app/accounts/acc_a").status_code == 404
