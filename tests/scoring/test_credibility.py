"""预测可信度指数 on hand-built deals with known answers: each input from real CRM rows and
document versions in chDB (the 30-day window's edges, held/not held, decision-makers, tenant
isolation), the curves, the weights, and the exact 59.9 / 60.0 boundary of the × 0.7."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import pytest

from scoring.forecast.credibility import CredibilityRaw, Proof, credibility_index, curve_score
from scoring.forecast.credibility_repository import fetch_credibility
from scoring.forecast.evidence import build_evidence
from scoring.health.features import OpportunityFeatures, TenantStats, features_as_of
from tests.scoring.support import add_document, add_link
from tracker.clock import TS
from tracker.config import ScoringSettings
from tracker.crm.activities import Activity, record_activities
from tracker.crm.opportunities import Contact, Opportunity, upsert_opportunities
from tracker.scoring_settings import ForecastSettings
from tracker.stores.clickhouse import ClickHouse

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)
T = ScoringSettings()


def opportunity(ch: ClickHouse, tenant: str, amount: str = "1000000.00") -> None:
    upsert_opportunities(ch, tenant, [Opportunity(
        "opp_1", "华为技术", Decimal(amount), "CNY", "proposal", 50, "commit", "rep@x.cn",
        NOW - 60 * DAY, contacts=(Contact("c_dm", "王总", "w@x.cn", "CTO", True),
                                  Contact("c_eng", "李工", "l@x.cn", "架构师")),
    )])  # fmt: skip


def version(ch: ClickHouse, tenant: str, document_id: str, revision: int, at: datetime) -> None:
    ch.insert("document_versions", pa.table({
        "tenant_id": [tenant], "document_id": [document_id],
        "version_id": [f"{document_id}_v{revision}"], "revision": pa.array([revision], pa.uint32()),
        "filename": ["方案.pdf"], "sha256": ["0" * 64], "size_bytes": pa.array([1], pa.uint64()),
        "pages": pa.array([1], pa.uint16()), "page_words": pa.array([[100]], pa.list_(pa.uint32())),
        "page_tags": pa.array([[[]]], pa.list_(pa.list_(pa.string()))),
        "created_at": pa.array([at], TS), "version": pa.array([1], pa.uint64()),
    }))  # fmt: skip


def act(activity_id: str, kind: str, at: datetime, **kw: object) -> Activity:
    return Activity(activity_id, "opp_1", kind, at, **kw)  # type: ignore[arg-type]


def inbound(activity_id: str, kind: str, at: datetime, **kw: object) -> Activity:
    return act(activity_id, kind, at, direction="inbound", customer_initiated=True, **kw)


def seed(ch: ClickHouse, tenant: str) -> None:
    opportunity(ch, tenant)
    edge = NOW - 30 * DAY
    record_activities(ch, tenant, [
        inbound("e_in", "email", NOW - DAY, subject="询价"),
        inbound("c_edge_in", "call", edge + timedelta(milliseconds=1)),  # just inside
        inbound("e_edge_out", "email", edge),  # exactly 30 days old: outside
        act("e_ours", "email", NOW - 2 * DAY, direction="outbound"),
        act("e_unknown", "email", NOW - 2 * DAY),
        inbound("n_in", "note", NOW - 2 * DAY),  # a note is not communication
        inbound("t_ticket", "service_request", NOW - 3 * DAY),  # a ticket is not either
        inbound("m_dm", "meeting", NOW - 5 * DAY, attendees=("c_dm",), held=True),
        act("m_eng", "meeting", NOW - 6 * DAY, attendees=("c_eng",), held=True),
        act("m_missed", "meeting", NOW - 7 * DAY, attendees=("c_dm",), held=False),
        act("m_unsaid", "meeting", NOW - 10 * DAY, attendees=("c_dm", "c_eng")),
        act("m_old", "meeting", NOW - 31 * DAY, attendees=("c_dm",), held=True),
        act("m_later", "meeting", NOW + DAY, attendees=("c_eng",), held=True),
        act("r_crm", "proposal_revision", NOW - 2 * DAY, subject="报价单 v4"),
        act("r_crm_old", "proposal_revision", NOW - 45 * DAY),
    ])  # fmt: skip
    add_document(ch, tenant, "doc_1", "doc_1_v1", title="年度采购方案", opportunity_id="opp_1")
    version(ch, tenant, "doc_1", 2, NOW - 35 * DAY)  # outside
    version(ch, tenant, "doc_1", 3, NOW - 6 * DAY)
    add_document(ch, tenant, "doc_2", "doc_2_v1", title="报价单")  # the opportunity's by a link
    add_link(ch, tenant, "lnk_2", "doc_2", "doc_2_v1", "opp_1")
    version(ch, tenant, "doc_2", 2, NOW - DAY)
    add_document(ch, tenant, "doc_x", "doc_x_v1", opportunity_id="opp_other")
    version(ch, tenant, "doc_x", 2, NOW - DAY)  # another deal's revision


def test_each_input_from_the_stores_with_known_answers(clickhouse: ClickHouse) -> None:
    seed(clickhouse, "ten_a")
    raw = fetch_credibility(clickhouse, "ten_a", ["opp_1"], NOW, 30)["opp_1"]
    assert [p.id for p in raw.contacts] == ["e_in", "m_dm", "c_edge_in"]
    assert {p.id: p.decision_makers for p in raw.held_meetings} == {
        "m_dm": ["王总"], "m_eng": [], "m_unsaid": ["王总"]
    }  # fmt: skip
    assert [(p.kind, p.id) for p in raw.revisions] == [
        ("document_version", "doc_2_v2"), ("activity", "r_crm"), ("document_version", "doc_1_v3")
    ]  # fmt: skip
    index = credibility_index(raw, T.forecast)
    inputs = index.inputs
    # 3 contacts: between 2 → 60 and 4 → 80 → 70
    assert inputs["customer_initiated_contacts_30d"].raw_value == 3
    assert inputs["customer_initiated_contacts_30d"].score == Decimal("70.0")
    # a decision-maker at 2 of 3 held meetings → 0.6667 → 66.7
    assert inputs["decision_maker_attendance_rate_30d"].raw_value == Decimal("0.6667")
    assert inputs["decision_maker_attendance_rate_30d"].score == Decimal("66.7")
    # 3 revisions → 100
    assert inputs["proposal_revisions_30d"].raw_value == 3
    assert inputs["proposal_revisions_30d"].score == Decimal("100.0")
    assert {i.weight for i in inputs.values()} == {Decimal("0.3333")}
    # (70 + 66.7 + 100) / 3 = 78.9
    assert index.credibility_index == Decimal("78.9") and not index.haircut_applied


def test_the_window_moves_with_as_of(clickhouse: ClickHouse) -> None:
    seed(clickhouse, "ten_a")
    # one millisecond later the edge call is exactly 30 days old and drops out
    later = fetch_credibility(clickhouse, "ten_a", ["opp_1"], NOW + timedelta(milliseconds=1), 30)[
        "opp_1"
    ]
    assert [p.id for p in later.contacts] == ["e_in", "m_dm"]
    # one millisecond earlier the 30-day-old email is inside, the newest email not yet
    earlier = fetch_credibility(
        clickhouse, "ten_a", ["opp_1"], NOW - timedelta(milliseconds=1), 30
    )["opp_1"]
    assert "e_edge_out" in [p.id for p in earlier.contacts]
    # a tenant's 7-day window: only what happened in the last week
    week = fetch_credibility(clickhouse, "ten_a", ["opp_1"], NOW, 7)["opp_1"]
    assert [p.id for p in week.contacts] == ["e_in", "m_dm"]
    assert [p.id for p in week.held_meetings] == ["m_dm", "m_eng"]


def test_tenants_never_see_each_others_rows(clickhouse: ClickHouse) -> None:
    seed(clickhouse, "ten_a")
    opportunity(clickhouse, "ten_b")
    record_activities(clickhouse, "ten_b", [inbound("b_call", "call", NOW - DAY)])
    mine = fetch_credibility(clickhouse, "ten_b", None, NOW, 30)
    assert list(mine) == ["opp_1"] and [p.id for p in mine["opp_1"].contacts] == ["b_call"]
    assert mine["opp_1"].held_meetings == () and mine["opp_1"].revisions == ()
    features = features_as_of(clickhouse, "ten_b", ["opp_1"], NOW, T)
    assert [p.id for p in features["opp_1"].credibility.contacts] == ["b_call"]
    assert fetch_credibility(clickhouse, "ten_c", None, NOW, 30) == {}


def test_no_held_meeting_is_a_zero_rate_and_nothing_in_the_window_is_zero() -> None:
    index = credibility_index(CredibilityRaw(), T.forecast)
    attendance = index.inputs["decision_maker_attendance_rate_30d"]
    assert attendance.raw_value is None and attendance.score == 0
    assert index.credibility_index == 0 and index.haircut_applied


@pytest.mark.parametrize(
    ("curve", "raw", "score"),
    [
        ("curve_customer_contacts", "0", "0.0"),
        ("curve_customer_contacts", "1", "40.0"),
        ("curve_customer_contacts", "3", "70.0"),
        ("curve_customer_contacts", "6", "90.0"),
        ("curve_customer_contacts", "50", "100.0"),
        ("curve_decision_maker_attendance", "0.3333", "33.3"),
        ("curve_decision_maker_attendance", "0.25", "25.0"),
        ("curve_proposal_revisions", "2", "80.0"),
        ("curve_proposal_revisions", "7", "100.0"),
    ],
)
def test_default_curves(curve: str, raw: str, score: str) -> None:
    assert curve_score(getattr(T.forecast, curve), Decimal(raw)) == Decimal(score)


def contacts(n: int) -> CredibilityRaw:
    at = NOW - DAY
    return CredibilityRaw(
        contacts=tuple(Proof(kind="activity", id=f"e{i}", type="email", at=at) for i in range(n))
    )


def test_the_boundary_59_9_is_discounted_and_60_0_is_not() -> None:
    only_contacts = ForecastSettings(
        curve_customer_contacts=[(Decimal(0), Decimal(0)), (Decimal(1), Decimal("59.9")),
                                 (Decimal(2), Decimal(60))],
        weight_decision_maker_attendance=Decimal(0), weight_proposal_revisions=Decimal(0),
    )  # fmt: skip
    below, at = (
        credibility_index(contacts(1), only_contacts),
        credibility_index(contacts(2), only_contacts),
    )
    assert below.credibility_index == Decimal("59.9") and below.haircut_applied
    assert at.credibility_index == Decimal("60.0") and not at.haircut_applied
    f = OpportunityFeatures("opp_1", NOW, amount_exact=Decimal("1234567.8912"), probability=37,
                            currency="CNY", stage="proposal")  # fmt: skip
    stats = TenantStats(NOW, None, 0, {}, 0.0)
    f.credibility = contacts(1)
    cut = build_evidence(f, stats, settings=only_contacts, min_samples=5)
    # exact: 1234567.8912 × 0.37 × 0.7, no float on the way
    assert cut.crm_forecast == Decimal("456790.119744")
    assert cut.adjusted_forecast == Decimal("319753.0838208") and cut.haircut_applied
    f.credibility = contacts(2)
    kept = build_evidence(f, stats, settings=only_contacts, min_samples=5)
    assert kept.adjusted_forecast == kept.crm_forecast == Decimal("456790.119744")


def test_weights_threshold_factor_and_the_opt_in_reading_input() -> None:
    raw = CredibilityRaw(contacts=contacts(4).contacts, reading_depth=0.5)  # 80, 0, 0
    assert credibility_index(raw, T.forecast).credibility_index == Decimal("26.7")
    assert "buyer_reading_30d" not in credibility_index(raw, T.forecast).inputs
    heavy = T.forecast.model_copy(update={"weight_customer_contacts": Decimal(3)})
    assert credibility_index(raw, heavy).credibility_index == Decimal("48.0")  # 240 / 5
    lenient = T.forecast.model_copy(update={"credibility_threshold": Decimal(20)})
    assert not credibility_index(raw, lenient).haircut_applied
    reading = T.forecast.model_copy(update={"reading_as_input": True})
    with_reading = credibility_index(raw, reading)
    assert with_reading.inputs["buyer_reading_30d"].score == Decimal("50.0")
    assert with_reading.credibility_index == Decimal("32.5")  # (80 + 0 + 0 + 50) / 4
    assert {i.weight for i in with_reading.inputs.values()} == {Decimal("0.25")}


@pytest.mark.parametrize(
    "bad",
    [
        {"curve_customer_contacts": [[0, 0], [0, 50]]},
        {"curve_proposal_revisions": [[0, 0], [1, 120]]},
        {"weight_customer_contacts": 0, "weight_decision_maker_attendance": 0,
         "weight_proposal_revisions": 0},
        {"credibility_haircut": 1.5},
        {"window_days": 0},
    ],
)  # fmt: skip
def test_invalid_forecast_settings_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        ScoringSettings().merged({"forecast": bad})
