"""客户健康度 band actions end to end on the real stores: the band job assesses, publishes,
outbound acts — each action exactly once per band entry, logged — and people's own robots
receive the messages (the rep, the presales colleague, the team's VP)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from outbound import list_account_actions, react_account_band, scoring_listener
from outbound.notify import create_channel, list_todos
from outbound.webhooks import WebhookEmitter, create_subscription
from scoring import AccountBandChanged, BandActionPlan, band_history, record_account_bands
from tests.outbound.notify.conftest import MANAGER, REP, Rig, RobotReceiver
from tests.scoring.support import add_document
from tracker.clock import utcnow
from tracker.config import Settings
from tracker.crm import (
    Account,
    AccountFinance,
    check_not_frozen,
    freeze_history,
    frozen_accounts,
    put_account,
    put_finance,
    upsert_opportunities,
)
from tracker.crm.activities import Activity, record_activities
from tracker.crm.opportunities import Contact, Opportunity
from tracker.errors import Conflict
from tracker.links import list_links
from tracker.stores.clickhouse import ClickHouse
from tracker.tenant_settings import put_tenant_settings

VP, PRESALES = "vp@acme.cn", "presales@acme.cn"


def seed_account(ch: ClickHouse, tenant: str) -> None:
    now = utcnow()
    put_account(ch, Account(
        tenant, "acc_1", "宁德时代", now, industry="制造业", annual_revenue=Decimal("2e9"),
        currency="CNY", industry_growth_pct=25.0, contract_start=date(2015, 1, 1),
        product_lines=("MES", "ERP", "PLM"), kol_contact_ids=("c_wang",), owner=REP,
    ))  # fmt: skip
    put_finance(ch, AccountFinance(
        tenant, "acc_1", now.date(), 0.98, Decimal(0), Decimal("1e6"), Decimal(0), "CNY", now, 0.0
    ))  # fmt: skip
    upsert_opportunities(ch, tenant, [Opportunity(
        opportunity_id="opp_n1", account="acc_1", amount=Decimal(500000), currency="CNY",
        stage="proposal", probability=50, forecast_category="commit", owner=REP,
        manager=MANAGER, updated_at=now - timedelta(days=1),
        contacts=(Contact("c_wang", "王总", "wang@catl.cn", "CTO", True),
                  Contact("c_li", "李工", "li@catl.cn", "IT"),
                  Contact("c_nomail", "赵总", "")),
    )])  # fmt: skip
    record_activities(ch, tenant, [
        Activity("m1", "opp_n1", "meeting", now - timedelta(days=3), attendees=("c_wang",),
                 held=True),
        Activity("m2", "opp_n1", "meeting", now - timedelta(days=20), attendees=("c_wang",),
                 held=True),
    ])  # fmt: skip
    add_document(ch, tenant, "doc_case", "ver_case", title="制造业快速落地案例集")


def thresholds(ch: ClickHouse, tenant: str, blue: float, yellow: float) -> None:
    put_tenant_settings(ch, tenant, "scoring", {
        "accounts": {"blue_threshold": blue, "yellow_threshold": yellow},
        "account_actions": {"nurture_documents": {"制造业": ["doc_case", "doc_gone"]},
                            "presales": PRESALES, "team_vps": {MANAGER: VP}},
    })  # fmt: skip


def kinds(ch: ClickHouse, tenant: str) -> list[str]:
    return sorted(a.kind for a in list_account_actions(ch, tenant, "acc_1"))


async def test_each_band_action_fires_once_and_the_freeze_comes_and_goes(
    rig: Rig, nsettings: Settings, clickhouse: ClickHouse, tenant: str, robot: RobotReceiver
) -> None:
    ch = clickhouse
    robot.answer = b"ok"
    for who, path in ((REP, "/rep"), (PRESALES, "/pre"), (VP, "/vp")):
        create_channel(ch, nsettings, tenant, kind="slack", owner=who, url=robot.url(path))
    seed_account(ch, tenant)
    create_subscription(ch, nsettings, tenant, url=robot.url("/crm"),
                        event_types=["account.health_changed"])  # fmt: skip
    emitter = WebhookEmitter(nsettings, rig.redis, ch)
    listen = (scoring_listener(emitter, rig.notifier),)

    async def run() -> int:
        return await record_account_bands(ch, nsettings, tenant, listeners=listen)

    # first assessment: 100·25 % + 100·25 % + 75·20 % (meetings 100, KOL 2 of 4) + 100·30 % = 95
    thresholds(ch, tenant, 70, 45)
    assert await run() == 1
    assert await run() == 0  # same band: nothing published, nothing done again
    assert kinds(ch, tenant) == ["nurture"]
    assert await emitter.queue.pending() == 1  # the CRM's account.health_changed webhook
    nurture = list_account_actions(ch, tenant, "acc_1")[0]
    assert nurture.band == "blue" and nurture.change_key == "acc_1:0:new->blue"
    links = list_links(ch, tenant)
    # one document (the deleted one is skipped) × the two contacts with an email
    assert sorted((link.document_id, link.recipient_email) for link in links) == [
        ("doc_case", "li@catl.cn"), ("doc_case", "wang@catl.cn")
    ]  # fmt: skip
    assert set(nurture.link_ids) == {link.link_id for link in links}
    todo = list_todos(ch, tenant, manager=REP)[0]
    assert todo.kind == "account_nurture" and todo.due_at is not None
    assert todo.due_at - todo.created_at == timedelta(days=3)
    await rig.run()
    assert [(h.path, h.json()["text"]) for h in robot.hits] == [("/rep", "健康客户培育：宁德时代")]

    # the same change published again (a crash before the band row): nothing new
    again = AccountBandChanged(
        tenant, "acc_1", "宁德时代", "制造业", "", "blue", 95.0, REP, MANAGER, (),
        BandActionPlan(nurture_document_ids=("doc_case",)), "acc_1:0:new->blue",
    )  # fmt: skip
    assert await react_account_band(ch, rig.notifier, again) == []
    assert len(list_links(ch, tenant)) == 2

    # yellow: a joint visit for the rep and presales, due in 7 days, told to both
    robot.hits.clear()
    thresholds(ch, tenant, 97, 90)
    assert await run() == 1 and await run() == 0
    assert kinds(ch, tenant) == ["joint_visit", "nurture"]
    visits = [t for t in list_todos(ch, tenant) if t.kind == "account_joint_visit"]
    assert sorted(t.manager for t in visits) == [PRESALES, REP]
    assert all(t.due_at and t.due_at - t.created_at == timedelta(days=7) for t in visits)
    await rig.run()
    assert sorted(h.path for h in robot.hits) == ["/pre", "/rep"]
    assert not frozen_accounts(ch, tenant, ["acc_1"])

    # red: escalation to the team's VP through the VP's own robot, a to-do, and the freeze
    robot.hits.clear()
    thresholds(ch, tenant, 99, 98)
    assert await run() == 1 and await run() == 0
    assert kinds(ch, tenant) == ["escalation", "freeze", "joint_visit", "nurture"]
    vp_todos = list_todos(ch, tenant, manager=VP)
    assert [t.kind for t in vp_todos] == ["account_escalation"] and vp_todos[0].owner == REP
    await rig.run()
    assert sorted(h.path for h in robot.hits) == ["/rep", "/vp"]
    assert "高危客户升级：宁德时代" in {h.json()["text"] for h in robot.hits}
    vp_body = next(h.body.decode() for h in robot.hits if h.path == "/vp")
    assert "KOL 互动频次 50 分" in vp_body and "新商机已冻结" in vp_body  # codes, in Chinese
    assert frozen_accounts(ch, tenant, ["acc_1"]) == {"acc_1"}
    with pytest.raises(Conflict) as refused:
        check_not_frozen(ch, tenant, [("opp_new", "acc_1")])
    assert refused.value.code == "account_frozen"
    check_not_frozen(ch, tenant, [("opp_n1", "acc_1")])  # its existing deal still updates

    # back to yellow: the freeze is lifted (logged), a new joint visit for the new entry
    thresholds(ch, tenant, 97, 90)
    assert await run() == 1
    assert kinds(ch, tenant) == [
        "escalation", "freeze", "joint_visit", "joint_visit", "nurture", "unfreeze"
    ]  # fmt: skip
    assert not frozen_accounts(ch, tenant, ["acc_1"])
    assert list_todos(ch, tenant, manager=VP) == []  # the escalation resolved itself
    audit = freeze_history(ch, tenant, "acc_1")
    assert [(e.frozen, e.actor) for e in audit] == [(False, "system"), (True, "system")]
    assert [b.band for b in band_history(ch, tenant, "acc_1")] == [
        "yellow", "red", "yellow", "blue"
    ]  # fmt: skip


async def test_a_new_account_takes_no_action(
    rig: Rig, nsettings: Settings, clickhouse: ClickHouse, tenant: str
) -> None:
    put_account(clickhouse, Account(tenant, "acc_new", "新客户", datetime.now(UTC)))
    listen = (scoring_listener(WebhookEmitter(nsettings, rig.redis, clickhouse), rig.notifier),)
    assert await record_account_bands(clickhouse, nsettings, tenant, listeners=listen) == 1
    assert [b.band for b in band_history(clickhouse, tenant, "acc_new")] == ["insufficient_data"]
    assert list_account_actions(clickhouse, tenant, "acc_new") == []
    assert not frozen_accounts(clickhouse, tenant, ["acc_new"])
