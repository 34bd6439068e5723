"""高潜客户等待响应超4小时 end to end: CRM activities in ClickHouse → the scheduled job →
the scoring reaction → the outbox → a local WeCom robot. The rep is told at 4 working hours
(once, however often the job runs), the manager too at the second threshold, and after the
reply nobody is."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from outbound import scoring_listener
from outbound.notify import create_channel
from outbound.webhooks import WebhookEmitter
from scoring import find_waiting_customers
from tests.outbound.notify.conftest import OPP, Rig, RobotReceiver
from tracker.config import Settings
from tracker.crm.activities import Activity, record_activities
from tracker.stores.clickhouse import ClickHouse
from tracker.tenant_settings import put_tenant_settings

SH = ZoneInfo("Asia/Shanghai")
ASKED = datetime(2026, 3, 3, 10, 0, tzinfo=SH)  # a Tuesday, 10:00 in Shanghai
HOUR = timedelta(hours=1)


async def test_wecom_alert_at_four_working_hours_then_the_manager_then_cleared_by_the_reply(
    rig: Rig, nsettings: Settings, clickhouse: ClickHouse, tenant: str, robot: RobotReceiver
) -> None:
    create_channel(clickhouse, nsettings, tenant, kind="wecom", name="销售群",
                   url=robot.url("/cgi-bin/webhook/send?key=k-9"))  # fmt: skip
    # the fixture's deal has no account data: every band counts as high potential here (the
    # account's 商业潜力 path is covered in tests/scoring/test_unanswered.py)
    bands = ["blue", "yellow", "red", "insufficient_data"]
    put_tenant_settings(clickhouse, tenant, "scoring",
                        {"early_warning": {"high_potential_bands": bands}})  # fmt: skip
    record_activities(clickhouse, tenant, [
        Activity("out_0", OPP, "email", ASKED - timedelta(days=1), direction="outbound"),
        Activity("in_1", OPP, "email", ASKED, direction="inbound", customer_initiated=True),
    ])  # fmt: skip
    react = (scoring_listener(WebhookEmitter(nsettings, rig.redis, clickhouse), rig.notifier),)

    async def run(at: datetime) -> list[str]:
        found = await find_waiting_customers(clickhouse, nsettings, tenant, now=at,
                                             listeners=react)  # fmt: skip
        await rig.run()
        return [e.level for e in found]

    assert await run(ASKED + 4 * HOUR - timedelta(minutes=1)) == []
    assert robot.hits == []
    assert await run(ASKED + 4 * HOUR) == ["rep"]
    assert await run(ASKED + 4 * HOUR + timedelta(minutes=5)) == ["rep"]  # the job again
    (hit,) = robot.hits  # one message for the wait, however often it is found
    content = hit.json()["markdown"]["content"]
    assert content.startswith("**高潜客户等待回复：华为技术**")
    assert "**负责人**：张伟" in content
    assert "**原因**：高潜客户的邮件（03-03 10:00）已等待回复 4 个工作小时" in content
    assert "@张伟" in content and "李经理" not in content

    # 8 working hours (the default second threshold): the manager is told as well
    robot.hits.clear()
    assert await run(ASKED + 8 * HOUR) == ["manager"]
    (hit,) = robot.hits
    content = hit.json()["markdown"]["content"]
    assert "已等待回复 8 个工作小时" in content and "已同时通知经理" in content
    assert "@张伟 @李经理" in content

    # the rep replies: the next runs find nothing and nobody is told
    robot.hits.clear()
    record_activities(clickhouse, tenant, [
        Activity("out_1", OPP, "email", ASKED + 8 * HOUR + HOUR, direction="outbound"),
    ])  # fmt: skip
    assert await run(ASKED + 30 * HOUR) == []
    assert robot.hits == []
