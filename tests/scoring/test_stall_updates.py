"""连续48小时无更新 on real stores: every kind of update (a CRM change of stage, close date or
amount, any activity, a note, real buyer engagement) keeps a deal from stalling; a deal with
none stalls 48 h after it was created; the reason names what was updated last and when, in
the reader's language; a deal red at its first health snapshot alerts like one that turned
red."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from outbound.notify import render
from scoring import BandChanged, ScoringEvent, StallOpened, record_snapshots, run_stall_detection
from tests.scoring.support import NOW, Events, add_document, add_link, add_opportunity
from tracker.config import Settings
from tracker.crm import Activity, last_changes, record_activities, upsert_opportunities
from tracker.stores.clickhouse import ClickHouse

H = timedelta(hours=1)


async def _stalled(ch: ClickHouse, settings: Settings, at: object) -> dict[str, StallOpened]:
    seen: list[ScoringEvent] = []

    async def listen(event: ScoringEvent) -> None:
        seen.append(event)

    await run_stall_detection(ch, settings, "ten_S", now=at, listeners=(listen,))  # type: ignore[arg-type]
    return {e.episode.opportunity_id: e for e in seen if isinstance(e, StallOpened)}


async def test_a_deal_with_no_update_at_all_stalls_48_h_after_it_was_created(
    clickhouse: ClickHouse, settings: Settings
) -> None:
    add_opportunity(clickhouse, "ten_S", "opp_new", updated_at=NOW - 47 * H)
    add_opportunity(clickhouse, "ten_S", "opp_old", updated_at=NOW - 49 * H)
    found = await _stalled(clickhouse, settings, NOW)
    assert sorted(found) == ["opp_old"]
    episode = found["opp_old"].episode
    assert episode.rules == ("no_activity",)
    (reason,) = episode.reason_list()
    assert reason["code"] == "stall.no_update"
    assert reason["params"]["last"] == "created" and reason["params"]["hours"] == 49
    assert episode.onset_at == NOW - H
    assert (await _stalled(clickhouse, settings, NOW + 2 * H)).keys() == {"opp_new"}


async def test_crm_changes_of_stage_close_date_and_amount_are_updates(
    clickhouse: ClickHouse, settings: Settings
) -> None:
    base = add_opportunity(clickhouse, "ten_S", "opp_crm", updated_at=NOW - 10 * 24 * H)
    # an hour ago the CRM moved the stage and the close date (as activities, as CRM sends them)
    record_activities(
        clickhouse,
        "ten_S",
        [
            Activity("s1", "opp_crm", "stage_change", NOW - H, from_stage="proposal",
                     to_stage="negotiation"),
            Activity("c1", "opp_crm", "close_date_change", NOW - H,
                     old_close_date=date(2025, 3, 10), new_close_date=date(2025, 3, 20)),
        ],
    )  # fmt: skip
    add_opportunity(clickhouse, "ten_S", "opp_amount", updated_at=NOW - 10 * 24 * H)
    changed = replace(base, opportunity_id="opp_amount", amount=Decimal("150000.00"),
                      updated_at=NOW - 2 * H)  # fmt: skip
    upsert_opportunities(clickhouse, "ten_S", [changed])
    upsert_opportunities(clickhouse, "ten_S", [changed])  # the same payload again: no change
    (change,) = [c for c in last_changes(clickhouse, "ten_S", "opp_amount") if c.field != "created"]
    assert (change.field, change.old_value, change.new_value) == ("amount", "120000", "150000")
    assert await _stalled(clickhouse, settings, NOW) == {}
    later = await _stalled(clickhouse, settings, NOW + 47 * H)
    assert sorted(later) == ["opp_amount"]  # 49 h after its amount change
    (reason,) = later["opp_amount"].episode.reason_list()
    assert reason["params"]["last"] == "crm.amount"
    assert reason["params"]["at"] == (NOW - 2 * H).isoformat(timespec="minutes")
    zh = render("zh_CN", "opportunity.stalled", {
        "account": "华为技术", "owner_name": "李雷", "time_zone": "Asia/Shanghai",
        "reasons": later["opp_amount"].episode.reason_list()}).plain()  # fmt: skip
    local = (NOW - 2 * H).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%m-%d %H:%M")
    assert f"连续 49 小时无更新（最近一次：金额变更，{local}）" in zh
    last = await _stalled(clickhouse, settings, NOW + 50 * H)
    (reason,) = last["opp_crm"].episode.reason_list()
    assert reason["params"]["last"] in ("crm.stage", "crm.close_date")


@pytest.mark.parametrize("kind", ["note", "email", "meeting"])
async def test_any_activity_is_an_update(
    clickhouse: ClickHouse, settings: Settings, kind: str
) -> None:
    add_opportunity(clickhouse, "ten_S", "opp_act", updated_at=NOW - 10 * 24 * H)
    record_activities(clickhouse, "ten_S", [Activity("a1", "opp_act", kind, NOW - 3 * H)])
    assert await _stalled(clickhouse, settings, NOW) == {}
    found = await _stalled(clickhouse, settings, NOW + 46 * H)
    (reason,) = found["opp_act"].episode.reason_list()
    expected = "crm.note" if kind == "note" else f"activity.{kind}"
    assert reason["params"]["last"] == expected


async def test_real_buyer_engagement_is_an_update_and_a_bot_is_not(
    clickhouse: ClickHouse, settings: Settings
) -> None:
    for opp in ("opp_read", "opp_bot"):
        add_opportunity(clickhouse, "ten_S", opp, updated_at=NOW - 10 * 24 * H)
    add_document(clickhouse, "ten_S", "doc_1", "ver_1")
    read = add_link(clickhouse, "ten_S", "lnk_r", "doc_1", "ver_1", "opp_read")
    bot = add_link(clickhouse, "ten_S", "lnk_b", "doc_1", "ver_1", "opp_bot")
    events = Events()
    events.add(read, "page_dwell", NOW + 5 * H, page=1, dwell_ms=30_000)
    events.add(bot, "page_dwell", NOW + 5 * H, page=1, dwell_ms=30_000, bot=True)
    events.insert(clickhouse)
    # links were sent at NOW (an update too): 49 h later only the bot-read deal stalls
    found = await _stalled(clickhouse, settings, NOW + 49 * H)
    assert sorted(found) == ["opp_bot"]
    (reason,) = found["opp_bot"].episode.reason_list()
    assert reason["params"]["last"] == "link_sent"
    found = await _stalled(clickhouse, settings, NOW + 54 * H)
    (reason,) = found["opp_read"].episode.reason_list()
    assert reason["params"]["last"] == "engagement"


async def test_a_deal_red_at_its_first_snapshot_alerts(
    clickhouse: ClickHouse, settings: Settings
) -> None:
    add_opportunity(clickhouse, "ten_S", "opp_red", updated_at=NOW - 60 * 24 * H)
    seen: list[ScoringEvent] = []

    async def listen(event: ScoringEvent) -> None:
        seen.append(event)

    # red thresholds above any value: the first snapshot of the deal is red
    settings.scoring.health.blue_threshold = 101.0
    settings.scoring.health.yellow_threshold = 100.5
    await record_snapshots(clickhouse, settings, "ten_S", listeners=(listen,))
    (change,) = [e for e in seen if isinstance(e, BandChanged)]
    assert (change.opportunity_id, change.previous_band, change.band) == ("opp_red", "", "red")
    await record_snapshots(clickhouse, settings, "ten_S", listeners=(listen,))
    # the same day again: the same change key, which listeners dedupe on (one alert)
    assert {e.change_key for e in seen if isinstance(e, BandChanged)} == {change.change_key}
