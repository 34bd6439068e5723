"""The monthly 《预测校准报告》 and the coaching plan end to end on real stores and a real local
WeCom receiver: 张伟 was more than 25 % off in two quarters running, so 李经理 gets the month's
report in Chinese (forecast vs won vs cash, TOP3 reasons with their rules, the coaching line,
the chart as an image) and a coaching to-do listing 张伟's open deals whose evidence chain is
incomplete."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

from outbound.notify import list_todos
from outbound.reports import run_forecast_reports
from scoring.forecast.snapshot_store import ForecastSnapshot, write_snapshots
from tests.outbound.notify.conftest import MANAGER, REP, Rig, RobotReceiver
from tests.test_message_catalogs import english_in
from tracker.config import Settings
from tracker.crm import DealOutcome, Payment, record_outcomes, record_payments
from tracker.stores.clickhouse import ClickHouse


def snap(day: date, key: str, amount: float, p: float, failing: tuple[str, ...] = ()) -> object:
    return ForecastSnapshot(day, key, REP, MANAGER, "proposal", amount, p, p, 55.0, 50.0,
                            "yellow", failing, None, "health-1.0")  # fmt: skip


def won(key: str, amount: int, day: date, outcome: str = "won", reason: str = "") -> DealOutcome:
    at = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    return DealOutcome(key, outcome, Decimal(amount), "CNY", at, reason)


async def test_monthly_report_and_coaching_todo_reach_the_manager_in_chinese(
    rig: Rig, nsettings: Settings, clickhouse: ClickHouse, tenant: str, robot: RobotReceiver
) -> None:
    from outbound.notify import create_channel

    create_channel(clickhouse, nsettings, tenant, kind="wecom", name="销售管理群",
                   url=robot.url("/cgi-bin/webhook/send?key=k-month"))  # fmt: skip
    write_snapshots(clickhouse, tenant, [  # type: ignore[list-item]
        snap(date(2026, 9, 30), "oct_won", 100_000, 0.8),
        snap(date(2026, 9, 30), "oct_lost", 50_000, 0.7, ("decision_maker_read",)),
        snap(date(2026, 3, 31), "q2", 100_000, 0.9), snap(date(2026, 6, 30), "q3", 100_000, 0.9),
        snap(date(2026, 10, 31), "open_1", 300_000, 0.4,
             ("decision_maker_read", "proposal_depth")),
    ])  # fmt: skip
    record_outcomes(clickhouse, tenant, [
        won("oct_won", 100_000, date(2026, 10, 12)),
        won("oct_lost", 0, date(2026, 10, 20), "lost", "budget_cut"),
        won("q2", 50_000, date(2026, 5, 10)), won("q3", 40_000, date(2026, 8, 10)),
    ])  # fmt: skip
    record_payments(clickhouse, tenant, [Payment(
        "pay-9", "华为技术", "oct_won", Decimal(70_000), "CNY", datetime(2026, 10, 25, tzinfo=UTC)
    )])  # fmt: skip
    first = datetime(2026, 11, 1, 1, 30, tzinfo=UTC)  # the 1st, 09:30 in Shanghai
    assert await run_forecast_reports(rig.notifier, clickhouse, now=first) == 1
    assert await run_forecast_reports(rig.notifier, clickhouse, now=first) == 0  # deduped
    await rig.run()
    # the text, then its chart (sent a moment later; matched by type, not arrival order)
    bodies = {h.json()["msgtype"]: h.json() for h in robot.hits}
    assert len(robot.hits) == 2 and set(bodies) == {"markdown", "image"}
    markdown, image = bodies["markdown"], bodies["image"]
    assert image["msgtype"] == "image"
    content = markdown["markdown"]["content"]
    assert content.startswith("**《预测校准报告》2026-10**")
    # forecast 100k×0.8 + 50k×0.7 = 115k; won 100k; cash 70k
    assert (
        "预测 115,000，赢单 100,000，回款 70,000；偏差（对赢单）+15.0%，偏差（对回款）+64.3%"
        in content
    )
    assert "1. 缺少证据：尚无关键决策人阅读文档（1 单，偏差 35,000）；规则：决策人未参与" in content
    assert "张伟 连续两个季度偏差超过 25%（2026-Q2 +80.0%, 2026-Q3 +125.0%），已加入待办" in content
    assert english_in(re.sub(r"\]\([^)]*\)", "]", content)) is None, content
    (todo,) = [t for t in list_todos(clickhouse, tenant) if t.kind == "coaching"]
    assert todo.manager == MANAGER and todo.owner == REP
    assert "open_1（缺：尚无关键决策人阅读文档、方案阅读深度不足 60%）" in todo.detail
    assert "oct_lost" not in todo.detail  # closed deals are not coached
