"""The daily 客户健康简报 wired to scoring, end to end on real stores and a real local WeCom
receiver: for the rep's deal needing attention, the last interaction as a sentence built from
the buyer's events ("王总 (CTO) 昨天下载了《AI 模块白皮书》"), the 30-day health trend from the
daily snapshots, and exactly three ranked actions, each naming a person, a document or
content and a deadline — in Chinese, with no English sentence."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from outbound.notify import create_channel, run_briefings
from outbound.reports import scoring_briefing_source
from scoring import briefing_deals
from scoring.forecast.snapshot_store import ForecastSnapshot, write_snapshots
from tests.outbound.notify.conftest import REP, Rig, RobotReceiver
from tests.scoring.support import Events, add_document, add_link
from tests.test_message_catalogs import english_in
from tracker.config import Settings
from tracker.crm import Contact, Opportunity, upsert_opportunities
from tracker.crm.activities import Activity, record_activities
from tracker.stores.clickhouse import ClickHouse

MORNING = datetime(2025, 3, 2, 1, 30, tzinfo=UTC)  # Sunday 09:30 in Shanghai


def seed(ch: ClickHouse, tenant: str) -> None:
    wang = Contact("c-wang", "王总", "wang@huawei.cn", "CTO", is_decision_maker=True)
    upsert_opportunities(ch, tenant, [Opportunity(
        opportunity_id="opp_ai", account="华为云", amount=Decimal("800000"), currency="CNY",
        stage="proposal", probability=50, forecast_category="best_case", owner=REP,
        updated_at=datetime(2025, 2, 1, tzinfo=UTC), contacts=(wang,),
    )])  # fmt: skip
    add_document(ch, tenant, "doc_ai", "ver_ai", title="AI 模块白皮书")
    link = add_link(ch, tenant, "lnk_ai", "doc_ai", "ver_ai", "opp_ai", contact_id="c-wang")
    events = Events()
    events.read(link, datetime(2025, 2, 28, 23, tzinfo=UTC), {1: 40_000, 2: 30_000})
    events.add(link, "download", datetime(2025, 3, 1, 0, 0, tzinfo=UTC))  # "yesterday"
    events.insert(ch)
    # the daily snapshots of the last days: health falling from 72 to 48
    write_snapshots(ch, tenant, [
        ForecastSnapshot(date(2025, 2, 26) + timedelta(days=n), "opp_ai", REP, "", "proposal",
                         800_000.0, 0.5, 0.5, 60.0, health, "yellow", (), None, "health-1.0")
        for n, health in enumerate((72.0, 66.0, 57.0, 48.0))
    ])  # fmt: skip


async def test_scored_briefing_names_person_document_and_deadline_in_chinese(
    rig: Rig, nsettings: Settings, clickhouse: ClickHouse, tenant: str, robot: RobotReceiver
) -> None:
    nsettings.scoring.health.blue_threshold = 101.0  # no deal is healthy: all need attention
    seed(clickhouse, tenant)
    create_channel(clickhouse, nsettings, tenant, kind="wecom", url=robot.url("/w"))
    (deal,) = [d for d in briefing_deals(clickhouse, nsettings, tenant, REP, MORNING)
               if d.opportunity_id == "opp_ai"]  # fmt: skip
    assert len(deal.actions) == 3 and deal.trend[:4] == [72.0, 66.0, 57.0, 48.0]
    assert deal.touch is not None and deal.touch[0] == "touch.download"
    source = scoring_briefing_source(clickhouse, nsettings)
    assert await run_briefings(rig.notifier, clickhouse, source=source, now=MORNING) == 1
    await rig.run()
    (hit,) = robot.hits
    content = hit.json()["markdown"]["content"]
    assert content.startswith("**张伟，今日客户健康简报（2025-03-02）**")
    block = content.split("**华为云**")[1].split("\n**")[0]
    assert "**最近互动**：王总 (CTO) 昨天下载了《AI 模块白皮书》" in block
    assert "**30 天健康趋势**：" in block and "72 →" in block
    actions = re.findall(r"^\s+- (?:\*\*下一步\*\*：)?([123])\. (.+)$", block, re.M)
    assert [n for n, _ in actions] == ["1", "2", "3"]  # exactly three, ranked
    assert actions[0][1] == "王总 (CTO) 昨天下载了《AI 模块白皮书》，建议24 小时内发送行业落地案例"
    for _, action in actions:  # each names a person, and a deadline (小时内 / 天内)
        assert "王总" in action and re.search(r"\d+ (小时|天)内", action), action
    assert "/app/deals/opp_ai" in block  # the deal's page, for the full chart
    assert english_in(re.sub(r"\]\([^)]*\)", "]", content)) is None, content


async def test_the_briefing_carries_the_deals_early_warnings_in_chinese(
    rig: Rig, nsettings: Settings, clickhouse: ClickHouse, tenant: str, robot: RobotReceiver
) -> None:
    seed(clickhouse, tenant)
    record_activities(clickhouse, tenant, [
        Activity(f"wk-{i}", "opp_ai", "meeting", MORNING - timedelta(days=7 * (3 - i), hours=2),
                 held=i < 2, series_id="weekly-1")
        for i in range(4)
    ])  # fmt: skip
    create_channel(clickhouse, nsettings, tenant, kind="wecom", url=robot.url("/w"))
    (deal,) = [d for d in briefing_deals(clickhouse, nsettings, tenant, REP, MORNING)
               if d.opportunity_id == "opp_ai"]  # fmt: skip
    assert [s.code for s in deal.signals] == ["recurring_meetings_cancelled"]
    source = scoring_briefing_source(clickhouse, nsettings)
    assert await run_briefings(rig.notifier, clickhouse, source=source, now=MORNING) == 1
    await rig.run()
    (hit,) = robot.hits
    block = hit.json()["markdown"]["content"].split("**华为云**")[1].split("\n**")[0]
    assert "**预警**：定期会议 weekly-1 在 30 天内被取消 2 次" in block
