"""CRM stores on both backends (chDB, and clickhouse-connect through the HTTP harness)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from tracker.crm.activities import Activity, list_activities, record_activities
from tracker.crm.opportunities import (
    Contact,
    Opportunity,
    get_opportunity,
    opportunity_exists,
    upsert_opportunities,
)
from tracker.crm.outcomes import DealOutcome, get_outcome, record_outcomes
from tracker.errors import NotFound
from tracker.stores.clickhouse import ClickHouse

T0 = datetime(2025, 2, 1, tzinfo=UTC)


def opp(updated: datetime, stage: str, contacts: tuple[Contact, ...]) -> Opportunity:
    return Opportunity("006-X", "华为技术", Decimal("99.5"), "CNY", stage, 30, "pipeline",
                       "rep@seller.example", updated, contacts=contacts,
                       expected_close_date=date(2025, 6, 30), payment_issues=True)  # fmt: skip


def test_opportunity_upserts_keep_the_newest_with_its_contacts(store: ClickHouse) -> None:
    wang = Contact("c1", "王总", "wang@x.example", "CTO", True)
    li = Contact("c2", "李工", "li@x.example")
    newer = opp(datetime(2025, 2, 3, tzinfo=UTC), "negotiation", (wang,))
    older = opp(datetime(2025, 2, 2, tzinfo=UTC), "discovery", (wang, li))
    upsert_opportunities(store, "ten_A", [newer])
    upsert_opportunities(store, "ten_A", [older, newer])  # late stale copy, then a re-send
    got = get_opportunity(store, "ten_A", "006-X")
    assert got.stage == "negotiation" and got.account == "华为技术"
    assert got.contacts == (wang,)
    assert got.amount == Decimal("99.5") and got.payment_issues is True
    assert got.expected_close_date == date(2025, 6, 30)
    assert opportunity_exists(store, "ten_A", "006-X")
    assert not opportunity_exists(store, "ten_B", "006-X")
    with pytest.raises(NotFound):
        get_opportunity(store, "ten_B", "006-X")


def test_activities_and_outcomes_round_trip(store: ClickHouse) -> None:
    meeting = Activity("m1", "006-X", "meeting", T0, attendees=("c1", "c2"), subject="方案评审")
    record_activities(store, "ten_A", [meeting, meeting])
    assert list_activities(store, "ten_A", "006-X") == [replace(meeting, updated_at=T0)]
    assert list_activities(store, "ten_B", "006-X") == []
    won = DealOutcome("006-X", "won", Decimal(1000), "CNY", T0)
    lost_earlier = DealOutcome(
        "006-X", "lost", Decimal(0), "CNY", T0, updated_at=datetime(2025, 1, 1, tzinfo=UTC)
    )
    record_outcomes(store, "ten_A", [won])
    record_outcomes(store, "ten_A", [lost_earlier])
    stored = get_outcome(store, "ten_A", "006-X")
    assert stored is not None and stored.outcome == "won"
    assert get_outcome(store, "ten_B", "006-X") is None


def test_direction_and_held_round_trip(store: ClickHouse) -> None:
    inbound = Activity("e1", "006-X", "email", T0, customer_initiated=True, direction="inbound")
    held = Activity("m2", "006-X", "meeting", T0, attendees=("c1",), held=True)
    missed = Activity("m3", "006-X", "meeting", T0, attendees=("c1",), held=False)
    record_activities(store, "ten_A", [inbound, held, missed])
    got = {a.activity_id: a for a in list_activities(store, "ten_A", "006-X")}
    assert got["e1"].direction == "inbound" and got["e1"].held is None
    assert got["m2"].held is True and got["m3"].held is False and got["m3"].direction == ""


def test_rows_without_direction_read_inbound_when_flagged_customer_initiated(
    store: ClickHouse,
) -> None:
    """Rows written without the column (before migration 0009, or by a writer that does not
    know it) keep counting as customer-initiated."""
    store.command(
        f"INSERT INTO {store.database}.activities (tenant_id, activity_id, opportunity_id, "
        "activity_type, customer_initiated, occurred_at, attendees, updated_at, received_at, "
        "version) VALUES ('ten_A', 'old1', '006-Y', 'call', 1, now64(3), [], now64(3), "
        "now64(3), 1), ('ten_A', 'old2', '006-Y', 'call', 0, now64(3), [], now64(3), now64(3), 1)"
    )
    got = {a.activity_id: a.direction for a in list_activities(store, "ten_A", "006-Y")}
    assert got == {"old1": "inbound", "old2": ""}
