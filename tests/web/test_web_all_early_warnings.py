"""All three of the brief's early warnings on one deal, on every surface that shows a deal's
warnings, in zh and en: a high-potential customer waiting for a reply, the CFO reading the
competitor comparison intensively, a recurring series cancelled twice — on the deal page,
the account page, the daily briefing's text, and the health API's JSON (the same
`assess`). Real ClickHouse; the times are relative to now (the pages score as of now)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from outbound.notify.digests import briefing_message
from outbound.reports import briefing_deal
from scoring import briefing_deals
from tests.scoring.support import Events, add_document, add_link
from tests.web.conftest import People, sign_in
from tracker.config import Settings
from tracker.crm import Account, put_account
from tracker.crm.activities import Activity, record_activities
from tracker.crm.opportunities import Contact, Opportunity, upsert_opportunities
from tracker.stores.clickhouse import ClickHouse
from tracker.tenant_settings import put_tenant_settings

TAG = "competitor_comparison"
CODES = {"customer_unanswered", "page_interest", "recurring_meetings_cancelled"}
EN = (
    "has waited",  # "A high-potential customer's email (…) has waited N working hours"
    "陈静 (CFO) read the competitor comparison pages 3 times in 7 days",
    "2 meetings of the recurring series weekly-1 were cancelled within 30 days",
)
ZH = (
    "已等待回复",
    "陈静 (CFO) 7 天内 3 次查阅竞品对比页面",
    "定期会议 weekly-1 在 30 天内被取消 2 次",
)


def seed(ch: ClickHouse, people: People) -> None:
    now, t = datetime.now(UTC), people.tenant_id
    bands = ["blue", "yellow", "red", "insufficient_data"]  # every deal is high-potential
    put_tenant_settings(ch, t, "scoring", {
        "early_warning": {"high_potential_bands": bands},
        "engagement": {"page_tags": {TAG: {"meaning": "竞品对比", "weight": 5,
                                          "risk_penalty": 12}}},
    })  # fmt: skip
    put_account(ch, Account(t, "acc_a", "华为技术", now))
    chen = Contact("c_chen", "陈静", "chen@huawei.example", "CFO", is_decision_maker=True)
    upsert_opportunities(ch, t, [Opportunity(
        opportunity_id="opp_a", account="acc_a", amount=Decimal(300000), currency="CNY",
        stage="proposal", probability=40, forecast_category="pipeline", owner=people.rep_a,
        updated_at=now - timedelta(days=40), contacts=(chen,),
    )])  # fmt: skip
    record_activities(ch, t, [
        *(Activity(f"m-{i}", "opp_a", "meeting", now - timedelta(days=7 * (3 - i), hours=1),
                   held=i < 2, series_id="weekly-1") for i in range(4)),
        # three days without a reply: at least one whole weekday, 9 working hours
        Activity("in-1", "opp_a", "email", now - timedelta(days=3), direction="inbound",
                 customer_initiated=True),
    ])  # fmt: skip
    add_document(ch, t, "doc_a", "ver_a", title="方案建议书", page_tags=[[], [TAG], ["pricing"]])
    link = add_link(ch, t, "lnk_a", "doc_a", "ver_a", "opp_a", contact_id="c_chen", name="陈静")
    events = Events()
    for days in (5, 3, 1):
        events.read(link, now - timedelta(days=days), {2: 60_000})
    events.insert(ch)


def _warnings(page: str) -> str:
    return page.split('id="warnings-heading"')[1].split("</section>")[0]


def test_the_three_warnings_on_the_deal_and_account_pages_and_the_briefing(
    app_client: TestClient, people: People, clickhouse: ClickHouse, fast_settings: Settings
) -> None:
    seed(clickhouse, people)
    sign_in(app_client, people.rep_a)
    for path in ("/app/deals/opp_a", "/app/accounts/acc_a"):
        en = _warnings(app_client.get(path).text)
        zh = _warnings(app_client.get(path, headers={"Accept-Language": "zh-CN"}).text)
        for sentence in EN:
            assert sentence in en, (path, sentence, en)
        for sentence in ZH:
            assert sentence in zh, (path, sentence, zh)
    deal_page = _warnings(app_client.get("/app/deals/opp_a").text)
    assert "<code>in-1</code>" in deal_page and "<code>m-2</code>" in deal_page
    assert "<code>evt_" in deal_page  # the reads that prove the competitor interest

    # the daily briefing: the deal is in it with all three, worded per reader
    now = datetime.now(UTC)
    [deal] = briefing_deals(clickhouse, fast_settings, people.tenant_id, people.rep_a, now)
    assert {s.code for s in deal.signals} == CODES
    assert deal.actions[0].code == "answer_tag_interest"  # the most urgent next step
    facts: dict[str, Any] = {"now": now.isoformat(), "name": "Alice", "date": "2026-12-03",
                             "scored": True,
                             "deals": [briefing_deal(deal, "").facts()]}  # fmt: skip
    for locale, sentences in (("en", EN), ("zh_CN", ZH)):
        body = "\n".join(f"{line.label} {line.text}" for line in
                         briefing_message(locale, facts).lines)  # fmt: skip
        for sentence in sentences:
            assert sentence in body, (locale, sentence, body)
