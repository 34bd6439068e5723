"""End to end through the outbox, the pump and the dispatcher: routing to the rep and the
manager, mutes, quiet hours, the delayed first-view message with its read time, and rate
limits that defer without failing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from ingest import Event, events_table
from outbound import make_alert_listener
from outbound.notify import (
    BriefingDeal,
    ChannelKind,
    Preferences,
    create_channel,
    create_rule,
    notify_health_red,
    notify_stall,
    run_briefings,
    write_mute,
    write_preferences,
)
from outbound.webhooks.store import list_deliveries
from tests.outbound.notify.conftest import MANAGER, OPP, REP, Rig, RobotReceiver, slow_slack
from tests.outbound.notify.test_channels import episode
from tracker.config import Settings
from tracker.documents import NewVersion, create_document
from tracker.links import LinkOptions, Recipient, create_links
from tracker.stores.clickhouse import ClickHouse


async def test_routing_rep_and_manager_own_channels_rules_and_mute(
    rig: Rig, nsettings: Settings, clickhouse: ClickHouse, tenant: str, robot: RobotReceiver
) -> None:
    robot.answer = b"ok"
    mine = create_channel(
        clickhouse, nsettings, tenant, kind="slack", owner=REP, url=robot.url("/rep")
    )
    boss = create_channel(
        clickhouse, nsettings, tenant, kind="slack", owner=MANAGER, url=robot.url("/mgr")
    )
    # The manager's robot takes only stalls; the rep's everything (no rule = defaults).
    create_rule(
        clickhouse,
        tenant,
        channel_id=boss.channel_id,
        event_types=["opportunity.stalled"],
        audiences=["manager"],
    )
    await notify_stall(rig.notifier, tenant, episode(tenant))
    await notify_health_red(
        rig.notifier,
        tenant,
        OPP,
        value=31.6,
        previous_band="yellow",
        actions=[
            {
                "code": "follow_up_download",
                "text": "王总 (CTO) downloaded AI 模块白皮书 20 hours ago — send …",
                "params": {
                    "who": "王总 (CTO)",
                    "doc": "AI 模块白皮书",
                    "hours": 24,
                    "at": "2026-12-02T06:00:00+00:00",
                    "content": "case_study",
                },
            }
        ],
        change_id="run-1",
    )
    await rig.run()
    got = sorted((h.path, h.json()["text"]) for h in robot.hits)
    assert got == [
        ("/mgr", "商机停滞：华为技术"),
        ("/rep", "商机停滞：华为技术"),
        ("/rep", "客户健康度转为红色：华为技术"),
    ]
    red = next(h.json() for h in robot.hits if "健康" in h.json()["text"])
    assert "*健康分*：32（此前：黄色（关注））" in red["blocks"][1]["text"]["text"]
    assert "王总 (CTO)" in red["blocks"][1]["text"]["text"]
    assert (
        "下载了《AI 模块白皮书》，建议24 小时内发送行业落地案例" in red["blocks"][1]["text"]["text"]
    )
    assert "/n/mute/" in red["blocks"][2]["elements"][0]["text"]  # personal: mute link

    # The rep mutes the deal: the next alert reaches only the manager, and one already
    # waiting in the outbox for the rep is dropped at send time.
    robot.hits.clear()
    write_mute(clickhouse, tenant, REP, OPP, muted=True)
    await notify_health_red(
        rig.notifier, tenant, OPP, value=20, previous_band="yellow", change_id="run-2"
    )
    second = episode(tenant)
    await rig.notifier.publish(
        tenant,
        "opportunity.stalled",
        {"account": "x"},
        dedupe_key="late",
        opportunity_id=OPP,
        owner=REP,
        manager=MANAGER,
    )
    await notify_stall(rig.notifier, tenant, second)
    await rig.run()
    assert sorted(h.path for h in robot.hits) == ["/mgr", "/mgr"]
    assert list_deliveries(clickhouse, tenant, mine.channel_id, channel="slack")


async def test_quiet_hours_hold_then_deliver_and_the_view_waits_for_its_read_time(
    rig: Rig, nsettings: Settings, clickhouse: ClickHouse, tenant: str, robot: RobotReceiver
) -> None:
    create_channel(clickhouse, nsettings, tenant, kind="wecom", owner=REP, url=robot.url("/w"))
    write_preferences(clickhouse, Preferences(tenant, REP, "Asia/Shanghai", 22 * 60, 8 * 60))
    night = datetime(2024, 6, 3, 23, 30, tzinfo=UTC) + timedelta(hours=-8)  # 23:30 Shanghai
    clock = [night]
    rig.notifier.clock = lambda: clock[0]
    await notify_stall(rig.notifier, tenant, episode(tenant))
    await rig.notifier.pump_once()
    await rig.dispatcher.run_once()
    assert robot.hits == []  # held, not sent, not failed
    due = await rig.notifier.outbox.next_due_ms()
    assert due == int(datetime(2024, 6, 4, 0, 0, tzinfo=UTC).timestamp() * 1000)  # 08:00 local
    clock[0] = datetime(2024, 6, 4, 0, 0, 1, tzinfo=UTC)  # 08:00:01 in Shanghai
    await rig.run()
    (hit,) = robot.hits
    assert "商机停滞" in hit.json()["markdown"]["content"]

    # First real view: a bot's view never notifies; the human's goes out after the delay
    # with the reading measured at send time.
    robot.hits.clear()
    clock[0] = datetime.now(UTC)  # the notifier's clock stays ours: the delay elapses when we say
    write_preferences(clickhouse, Preferences(tenant, REP, "Asia/Shanghai"))  # no quiet hours
    doc, _ = create_document(
        clickhouse,
        tenant,
        title="年度采购方案",
        opportunity_id=OPP,
        first_version=NewVersion("p.pdf", "0" * 64, 3, (100, 100, 100)),
    )
    (link,) = create_links(
        clickhouse,
        tenant,
        doc.document_id,
        [Recipient(email="wang@huawei.cn", name="王总")],
        LinkOptions(),
    )
    base = {
        "tenant_id": tenant,
        "document_id": doc.document_id,
        "link_id": link.link_id,
        "opportunity_id": OPP,
        "viewer_id": "vwr_1",
        "visit_id": "vis_1",
        "version_id": "ver_1",
        "contact_id": "",
        "received_at": int(clock[0].timestamp() * 1000),
    }
    start = Event(event_id="e1", event_type="view_start", **base)
    bot = Event(event_id="e0", event_type="view_start", **{**base, "visit_id": "vis_b"}, is_bot=1)
    listener = make_alert_listener(nsettings, rig.redis, clickhouse, notifier=rig.notifier)
    batch = events_table([bot.to_row(), start.to_row()])
    await listener(batch)
    await listener(batch)  # the writer may hand a batch over twice
    await rig.notifier.pump_once()
    assert await rig.notifier.queues["wecom"].pending() == 0  # not yet: reading time unknown
    dwell = [
        Event(event_id=f"e{n}", event_type="page_dwell", page=n, dwell_ms=60_000, **base)
        for n in (1, 2, 3)
    ]
    clickhouse.insert("events", events_table([e.to_row() for e in [start, *dwell]]))
    clock[0] += timedelta(seconds=rig.notifier.ns.view_delay_seconds + 0.01)
    await rig.run()
    (hit,) = robot.hits
    content = hit.json()["markdown"]["content"]
    assert content.startswith("**王总 阅读了《年度采购方案》**")
    assert "**阅读时长**：3 分 0 秒，共 3 页" in content and "**客户**：华为技术" in content


async def test_rate_limit_defers_without_failing(
    rig: Rig, nsettings: Settings, clickhouse: ClickHouse, tenant: str, robot: RobotReceiver
) -> None:
    robot.answer = b"ok"
    slow_slack(rig.notifier.ns, 0.4)
    channel = create_channel(clickhouse, nsettings, tenant, kind="slack", url=robot.url("/s"))
    for n in range(3):
        await notify_health_red(
            rig.notifier, tenant, OPP, value=30 - n, previous_band="yellow", change_id=f"run-{n}"
        )
    await rig.notifier.pump_once()
    await rig.dispatcher.run_once()
    assert len(robot.hits) == 1  # the other two wait for their slots
    # …rescheduled into slots the limiter reserved 0.4 s apart (checked on the queue, not on
    # arrival times, which a loaded machine stretches or squeezes)
    queue = rig.notifier.queues[ChannelKind.SLACK]
    due: Any = await rig.redis.zrange(queue.due_key, 0, -1, withscores=True)
    slots = sorted(int(score) for _, score in due)
    assert len(slots) == 2 and slots[1] - slots[0] >= 400, slots
    await rig.run()
    assert len(robot.hits) == 3
    logged = list_deliveries(clickhouse, tenant, channel.channel_id, channel="slack")
    assert [(x.status.value, x.attempt) for x in logged] == [("delivered", 1)] * 3


async def test_daily_briefing_once_per_rep_and_local_day(
    rig: Rig, nsettings: Settings, clickhouse: ClickHouse, tenant: str, robot: RobotReceiver
) -> None:
    create_channel(clickhouse, nsettings, tenant, kind="wecom", url=robot.url("/w"))
    morning = datetime(2024, 6, 3, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
    assert await run_briefings(rig.notifier, clickhouse, now=morning - timedelta(hours=1)) == 0
    assert await run_briefings(rig.notifier, clickhouse, now=morning) == 1
    assert await run_briefings(rig.notifier, clickhouse, now=morning + timedelta(hours=2)) == 0
    await rig.run()
    (hit,) = robot.hits
    content = hit.json()["markdown"]["content"]
    assert content.startswith("**张伟，今日客户健康简报（2024-06-03）**")
    assert "**华为技术**" in content and "**最近互动**：暂无互动" in content
    assert "**下一步**：1. 超过 7 天没有互动，今天打个电话" in content
    assert "@李经理" not in content  # the rep's own briefing


async def test_a_rep_briefed_today_is_not_assessed_again(
    rig: Rig, nsettings: Settings, clickhouse: ClickHouse, tenant: str, robot: RobotReceiver
) -> None:
    """The briefing job runs every few minutes; a rep's facts (an assessment of their deals)
    are built once a local day, not on every run that the dedupe would then drop."""
    create_channel(clickhouse, nsettings, tenant, kind="wecom", url=robot.url("/w"))
    morning = datetime(2024, 6, 3, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
    asked: list[tuple[str, datetime]] = []

    async def source(tenant_id: str, owner: str, now: datetime) -> list[BriefingDeal]:
        asked.append((owner, now))
        return []

    assert await run_briefings(rig.notifier, clickhouse, source=source, now=morning) == 1
    later = morning + timedelta(minutes=10)
    assert await run_briefings(rig.notifier, clickhouse, source=source, now=later) == 0
    assert asked == [(REP, morning)]
    tomorrow = morning + timedelta(days=1)
    assert await run_briefings(rig.notifier, clickhouse, source=source, now=tomorrow) == 1
    assert asked == [(REP, morning), (REP, tomorrow)]
