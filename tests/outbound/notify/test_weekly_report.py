"""The weekly 《过程健康度报告》 end to end on real stores and a real local WeCom receiver:
nothing before Monday 09:00 in the manager's time zone; then one markdown message in Chinese
(no English sentence) with the week's numbers and their change, the chart as a WeCom `image`
message (a PNG rendered from the reportlab PDF), and a signed link that serves the PDF; a
second run (or an admin's "run it now") sends nothing new."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import urlsplit

import pypdfium2 as pdfium
from fastapi.testclient import TestClient

from api.app import create_app
from outbound.notify import create_channel
from outbound.reports import run_process_reports
from tests.outbound.notify.conftest import MANAGER, REP, Rig, RobotReceiver
from tests.test_message_catalogs import english_in
from tracker.config import Settings
from tracker.crm import Activity, Opportunity, record_activities, upsert_opportunities
from tracker.stores.clickhouse import ClickHouse


def at(day: int, month: int = 12) -> datetime:
    return datetime(2026, month, day, 9, tzinfo=UTC)


def deal(key: str, stage: str, entered: datetime, amount: int = 2_000_000) -> Opportunity:
    return Opportunity(
        opportunity_id=key, account=f"客户{key}", amount=Decimal(amount), currency="CNY",
        stage=stage, probability=20, forecast_category="pipeline", owner=REP,
        updated_at=entered, stage_entered_at=entered,
    )  # fmt: skip


def seed_week(ch: ClickHouse, tenant: str) -> None:
    """Week 2026-W49 (11-30 .. 12-06) for 李经理's team (张伟's deals)."""
    upsert_opportunities(ch, tenant, [deal("opp_w1", "prospecting", at(25, 11))])
    upsert_opportunities(ch, tenant, [deal("opp_w2", "qualification", at(27, 11))])
    record_activities(
        ch,
        tenant,
        [
            Activity("w0", "opp_w2", "stage_change", at(27, 11), from_stage="prospecting",
                     to_stage="qualification"),  # the week before: one change, no regression
            Activity("w1", "opp_w1", "stage_change", at(1), from_stage="prospecting",
                     to_stage="qualification"),
            Activity("w2", "opp_w2", "stage_change", at(2), from_stage="qualification",
                     to_stage="prospecting"),
            Activity("m1", "opp_w1", "meeting", at(3)),
            Activity("m2", "opp_w1", "email", at(4)),
        ],
    )  # fmt: skip


async def test_weekly_report_reaches_wecom_in_chinese_with_its_chart(
    rig: Rig, nsettings: Settings, clickhouse: ClickHouse, tenant: str, robot: RobotReceiver
) -> None:
    create_channel(clickhouse, nsettings, tenant, kind="wecom", name="销售管理群",
                   url=robot.url("/cgi-bin/webhook/send?key=k-week"))  # fmt: skip
    seed_week(clickhouse, tenant)
    early = datetime(2026, 12, 7, 0, 30, tzinfo=UTC)  # Monday 08:30 in Shanghai
    assert await run_process_reports(rig.notifier, clickhouse, now=early) == 0
    monday = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)  # Monday 09:30 in Shanghai
    assert await run_process_reports(rig.notifier, clickhouse, now=monday) == 1
    assert await run_process_reports(rig.notifier, clickhouse, now=monday) == 0  # deduped
    await rig.run()
    # the text, then its chart (sent a moment later; matched by type, not arrival order)
    bodies = {h.json()["msgtype"]: h.json() for h in robot.hits}
    assert len(robot.hits) == 2 and set(bodies) == {"markdown", "image"}
    markdown, image = bodies["markdown"], bodies["image"]
    assert markdown["msgtype"] == "markdown" and image["msgtype"] == "image"
    content = markdown["markdown"]["content"]
    assert content.startswith("**《过程健康度报告》2026-W49**")
    assert "**团队**：李经理" in content
    # opp_w1's first stay, 11-25 .. 12-01 (the week before: opp_w2's, 0 days)
    assert "线索：6.0 天（1 次）（较上周 +6.0）" in content
    assert "资格确认：5.0 天（1 次）" in content  # opp_w2, 11-27 .. 12-02, a regression
    assert "**跨阶段回退率**：50.0%（1/2 次阶段变更）（较上周 +50.0 个百分点）" in content
    # p75 of 1.2M, 2M, 2M is 2M: both new deals are high value, with 2 touches this week
    assert "**高价值客户触达密度**：每单 1.0 次（2 个进行中的高价值商机）（较上周 +1.0）" in content
    visible = content.split("](")[0]
    assert english_in(visible) is None, content
    png = base64.b64decode(image["image"]["base64"])
    assert (
        png.startswith(b"\x89PNG")
        and hashlib.md5(png, usedforsecurity=False).hexdigest() == image["image"]["md5"]
    )
    assert len(png) < 2 * 1024 * 1024  # WeCom's image limit
    url = content.split("](")[1].split(")")[0]
    path = urlsplit(url).path
    with TestClient(create_app(nsettings, run_background=False)) as client:
        pdf = client.get(path)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        doc = pdfium.PdfDocument(pdf.content)
        page_text = doc[0].get_textpage().get_text_range()
        doc.close()
        assert "过程健康度报告" in page_text and "李经理" in page_text and "线索" in page_text
        forged = client.get(path[:-3] + "abc")
        assert forged.status_code == 404
    assert MANAGER  # the team is 张伟's manager in users (the deals carry no manager)
