"""Scoring tuning, one group per concern, nested in `Settings.scoring`
(env `DEALSIGNAL_SCORING__<GROUP>__<NAME>`, e.g. `DEALSIGNAL_SCORING__STALL__INACTIVITY_HOURS`).

    reading       what counts as a human read of a page (one definition for every screen;
                  `tracker.reading`), the deployment's
    engagement    the engagement score: half-lives, component weights, targets, bands
    health        pillar weights and bands of the per-opportunity health
    accounts      customer health (客户健康度): the four pillars' weights, curves and bands
    account_actions  what each band triggers: nurture documents per industry, the presales
                  person, the VPs escalations go to, due dates
    finance       the finance cross-check (财务穿透): when a forecast gets the red risk flag
    stall         the stall rules (48 h without an update, per-stage windows, ghosting)
    early_warning the brief's early-warning signals: recurring meetings cancelled, a
                  high-potential customer waiting for a reply
    forecast      the credibility index (window, curves, weights, < 60 → × 0.7), stage
                  probabilities
    calibration   the fit of weights from outcomes
    warm          the score warmer (the deployment's cost: never a tenant's)

A tenant overrides any of these with `PUT /api/v1/settings/scoring` (same nesting), except
what a deployment pays for or defines for everyone — each group's `DEPLOYMENT_ONLY` fields
and the whole `warm` and `reading` groups — which only the operator sets. `flat_override`
reads the flat documents stored before the nesting.
"""

from __future__ import annotations

import itertools
import re
from decimal import Decimal
from typing import Any, ClassVar, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "AccountActionSettings",
    "AccountHealthSettings",
    "CalibrationSettings",
    "EarlyWarningSettings",
    "EngagementSettings",
    "FinanceSettings",
    "ForecastSettings",
    "HealthSettings",
    "PageTagWeight",
    "ReadingSettings",
    "ScoringSettings",
    "StallSettings",
    "WarmSettings",
    "deployment_only_paths",
    "flat_override",
]


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid")
    DEPLOYMENT_ONLY: ClassVar[frozenset[str]] = frozenset()


class ReadingSettings(_Group):
    """A (visit, page) with at least `read_seconds` of human active dwell is a read; less is
    a glance. Analytics, scores, the web app and notifications all use this."""

    read_seconds: float = 2.0
    words_per_minute: int = 238
    # Expected time on a page = max(min_page_seconds, words / words_per_minute).
    min_page_seconds: float = 5.0
    # A new visit at least this long after the previous one is a revisit.
    revisit_gap_hours: float = 24.0


class PageTagWeight(_Group):
    """A tenant's page tag (近期密集查阅竞品页面 and its kin): what it means to the tenant, the
    points its reading earns in the engagement score, and the share of reading time on
    such pages that earns them all."""

    meaning: str = Field(default="", max_length=100)
    weight: float = Field(default=5.0, ge=0, le=100)
    share_target: float = Field(default=0.2, gt=0, le=1)
    # A warning tag (competitor_comparison): the points a deal's risk pillar loses while one
    # of its people reads such pages intensively (`early_warning.tag_reads` visits within
    # `tag_window_days`). 0: reading it is interest, never a warning.
    risk_penalty: float = Field(default=0.0, ge=0, le=100)


_TAG = r"^[a-z][a-z0-9_]{0,39}$"


class EngagementSettings(_Group):
    DEPLOYMENT_ONLY: ClassVar[frozenset[str]] = frozenset(
        {"score_cache_seconds", "bulk_batch_size", "sync_overlap_seconds"}
    )

    document_half_life_days: float = 7.0
    meeting_half_life_days: float = 14.0
    # Component weights (points out of 100; they must sum to 100).
    weight_depth: float = 30.0
    weight_breadth: float = 20.0
    weight_decision_maker: float = 15.0
    weight_revisit: float = 10.0
    weight_pricing: float = 10.0
    weight_download: float = 5.0
    weight_meeting: float = 10.0
    # Saturation targets: the amount of a signal that earns a component's full points.
    breadth_target_people: float = 3.0
    revisit_target: float = 2.0
    pricing_share_target: float = 0.2
    download_target: float = 1.0
    meeting_target: float = 1.0
    # The tenant's own page tags (`competitor_comparison`, `implementation`, `security`, …):
    # each read tag is one more component worth its weight (what applies is rescaled to
    # 100, as ever). `pricing` keeps its own component above.
    page_tags: dict[str, PageTagWeight] = Field(default_factory=dict, max_length=20)
    # Bands: value >= hot_threshold is hot, >= warm_threshold warm, else cold.
    hot_threshold: float = 70.0
    warm_threshold: float = 40.0
    # Data sufficiency: below this much human dwell (and no meeting) a score is `low`.
    sufficient_dwell_seconds: float = 60.0
    score_cache_seconds: int = 3600
    # Scores pulled in bulk are computed this many opportunities per ClickHouse round.
    bulk_batch_size: int = 1000
    # The sync watermark handed to the CRM lags the sweep start by this much, covering
    # events still in flight through the ingest buffer (overlap = harmless duplicates).
    sync_overlap_seconds: int = 300

    def warning_tags(self) -> list[str]:
        """The page tags whose intensive reading is a warning (a `risk_penalty`)."""
        return sorted(t for t, w in self.page_tags.items() if w.risk_penalty > 0)

    @model_validator(mode="after")
    def _tags(self) -> Self:
        for tag in self.page_tags:
            if not re.match(_TAG, tag) or tag == "pricing":
                raise ValueError(
                    f"page tag {tag!r}: lower-case letters, digits and _ (not pricing)"
                )
        return self


class HealthSettings(_Group):
    DEPLOYMENT_ONLY: ClassVar[frozenset[str]] = frozenset({"snapshot_interval_seconds"})

    # Pillar weights (any scale, normalised).
    weight_commercial: float = 20.0
    weight_cooperation: float = 15.0
    weight_relationship: float = 40.0
    weight_risk: float = 25.0
    # value >= blue_threshold is blue, >= yellow_threshold yellow, else red.
    blue_threshold: float = 70.0
    yellow_threshold: float = 45.0
    # A deal younger than this on which the buyer was never seen (and whose account is not
    # judged) is `insufficient_data`, not red: nothing to judge it on yet.
    new_deal_days: float = Field(default=14.0, ge=0)
    snapshot_interval_seconds: float = 86_400.0


class AccountHealthSettings(_Group):
    """客户健康度, per account (`scoring.accounts`): four pillars, each a mean of two parts
    (0–1) turned into 0–100; a part without data is left out. Defaults: commercial potential
    25 %, partnership depth 25 %, relationship quality 20 % (the brief's example), risk
    signals 30 %. An account with fewer than `min_pillars` pillars, or without any risk
    signal (no finance record, no service-request history), is `insufficient_data`."""

    DEPLOYMENT_ONLY: ClassVar[frozenset[str]] = frozenset({"interval_seconds"})

    weight_commercial_potential: float = Field(default=25.0, ge=0)
    weight_partnership_depth: float = Field(default=25.0, ge=0)
    weight_relationship_quality: float = Field(default=20.0, ge=0)
    weight_risk_signals: float = Field(default=30.0, ge=0)
    # value >= blue_threshold is blue, >= yellow_threshold yellow, else red.
    blue_threshold: float = 70.0
    yellow_threshold: float = 45.0
    min_pillars: int = Field(default=3, ge=1, le=4)
    # Revenue scale: log-linear from `revenue_floor` (0) to `revenue_full` (1).
    revenue_floor: float = Field(default=1e6, gt=0)
    revenue_full: float = Field(default=1e9, gt=0)
    # Industry growth: linear from `growth_zero_pct` (0) to `growth_full_pct` (1).
    growth_zero_pct: float = -20.0
    growth_full_pct: float = 20.0
    # Contract years: years since the first contract / `contract_years_full`, capped at 1.
    contract_years_full: float = Field(default=5.0, gt=0)
    # Product-line coverage: lines bought out of `product_catalogue` when the tenant lists
    # its catalogue, else lines bought / `product_lines_full`.
    product_catalogue: list[str] = Field(default_factory=list)
    product_lines_full: int = Field(default=3, ge=1)
    # Meeting attendance: held / scheduled meetings of the account's opportunities.
    attendance_window_days: float = Field(default=90.0, gt=0)
    # KOL interaction frequency: CRM activities a KOL attended plus the KOLs' document
    # visits, in the window, / `kol_interactions_full`.
    kol_window_days: float = Field(default=30.0, gt=0)
    kol_interactions_full: float = Field(default=4.0, gt=0)
    # Payment delay: 1 − delay days / `payment_delay_days_zero`.
    payment_delay_days_zero: float = Field(default=60.0, gt=0)
    # Service-request surge: tickets in the last `ticket_window_days` against the account's
    # own baseline (tickets per window over the `ticket_baseline_days` before it); ratio ≤ 1
    # scores 1, `surge_ratio_zero` or more scores 0, linear between.
    ticket_window_days: float = Field(default=30.0, gt=0)
    ticket_baseline_days: float = Field(default=180.0, gt=0)
    surge_ratio_zero: float = Field(default=3.0, gt=1)
    # How often the band job re-assesses every account (and fires band actions).
    interval_seconds: float = 3600.0


class AccountActionSettings(_Group):
    """What entering a band does (fired once per entry, and on the first assessment):
    blue → nurture (tracked links to `nurture_documents[industry]` for the account's
    contacts, and a to-do for the rep to send them); yellow → a joint-visit to-do for the
    rep and `presales`, due in `joint_visit_due_days`; red → escalation to the team's VP
    (`team_vps[manager]`, else `vp`) and a to-do, and new opportunities frozen."""

    nurture_documents: dict[str, list[str]] = Field(default_factory=dict)
    nurture_due_days: float = Field(default=3.0, gt=0)
    presales: str = ""
    joint_visit_due_days: float = Field(default=7.0, gt=0)
    vp: str = ""
    team_vps: dict[str, str] = Field(default_factory=dict)
    escalation_due_days: float = Field(default=2.0, gt=0)


class FinanceSettings(_Group):
    """财务穿透: a forecast for an account whose newest finance record crosses any of these
    gets `risk_flag: "red"` with the reasons (None switches a rule off)."""

    min_on_time_payment_rate: float | None = Field(default=0.8, ge=0, le=1)
    max_payment_delay_days: float | None = Field(default=30.0, ge=0)
    max_credit_utilisation: float | None = Field(default=0.9, ge=0)
    max_receivables_to_credit_limit: float | None = Field(default=1.0, ge=0)
    # The deal's amount must fit in the remaining credit (same currency only).
    check_credit_headroom: bool = True


class StallSettings(_Group):
    """连续48小时无更新: the inactivity window, per-stage overrides, the "ghosted" factor k on
    the tenant's median reply time (a default until enough replies are known), and the
    stage-age quantile (needs `min_samples` finished stage stays)."""

    DEPLOYMENT_ONLY: ClassVar[frozenset[str]] = frozenset({"interval_seconds"})

    inactivity_hours: float = 48.0
    stage_inactivity_hours: dict[str, float] = Field(default_factory=dict)
    ghost_factor: float = 3.0
    default_reply_hours: float = 24.0
    stage_age_quantile: float = 0.75
    min_samples: int = 5
    interval_seconds: float = 900.0


class EarlyWarningSettings(_Group):
    """突然取消定期会议: `series_cancellations` or more cancelled meetings of one recurring
    series within `series_window_days`, or a series without a held meeting for
    `series_lapse_factor` × its usual interval (series seen within `series_lookback_days`);
    each costs the risk pillar its penalty.
    高潜客户等待响应超4小时: a customer's inbound activity on a high-potential deal (account
    商业潜力 ≥ `high_potential_min`, or the deal's health band in `high_potential_bands`)
    unanswered for `reply_hours` working hours (`workday_start`–`workday_end`, Monday–Friday,
    in the tenant's `time_zone`); the manager is told after `manager_reply_hours`.
    近期密集查阅竞品页面: one person reading pages with a warning tag (`engagement.page_tags`
    with a `risk_penalty`) in `tag_reads` or more visits within `tag_window_days`."""

    DEPLOYMENT_ONLY: ClassVar[frozenset[str]] = frozenset({"interval_seconds"})

    series_cancellations: int = Field(default=2, ge=1)
    series_window_days: float = Field(default=30.0, gt=0)
    series_lapse_factor: float = Field(default=2.0, gt=1)
    series_lookback_days: float = Field(default=120.0, gt=0)
    series_cancelled_penalty: float = Field(default=20.0, ge=0, le=100)
    series_lapsed_penalty: float = Field(default=15.0, ge=0, le=100)
    reply_hours: float = Field(default=4.0, gt=0)
    manager_reply_hours: float = Field(default=8.0, gt=0)
    high_potential_min: float = Field(default=70.0, ge=0, le=100)
    high_potential_bands: list[str] = Field(default_factory=lambda: ["blue"])
    workday_start: int = Field(default=9, ge=0, le=23)
    workday_end: int = Field(default=18, ge=1, le=24)
    time_zone: str = "Asia/Shanghai"
    reply_lookback_days: float = Field(default=14.0, gt=0)
    unanswered_penalty: float = Field(default=20.0, ge=0, le=100)
    tag_reads: int = Field(default=3, ge=1)
    tag_window_days: float = Field(default=7.0, gt=0)
    interval_seconds: float = 300.0

    @model_validator(mode="after")
    def _valid(self) -> Self:
        if self.workday_end <= self.workday_start:
            raise ValueError("workday_end must be after workday_start")
        if self.manager_reply_hours < self.reply_hours:
            raise ValueError("manager_reply_hours must be at least reply_hours")
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time_zone {self.time_zone!r}") from exc
        return self


Curve = list[tuple[Decimal, Decimal]]


def _check_curve(name: str, points: Curve) -> None:
    xs = [x for x, _ in points]
    if not points or any(b <= a for a, b in itertools.pairwise(xs)):
        raise ValueError(f"{name}: points need strictly increasing raw values")
    if any(not 0 <= y <= 100 for _, y in points) or xs[0] < 0:
        raise ValueError(f"{name}: scores are 0-100 and raw values >= 0")


class ForecastSettings(_Group):
    """预测可信度指数 (the forecast credibility index, `scoring.forecast.credibility`): three
    inputs over the last `window_days`, each turned into 0–100 by its curve (points
    (raw value, score), straight lines between them, flat beyond the ends), weighted (any
    scale; equal by default). Below `credibility_threshold` the forecast × `credibility_haircut`.
    Buyer reading (the deepest-read document version's depth, 0–1) joins as a fourth input
    only when `reading_as_input` (off: it is shown beside the index as evidence)."""

    DEPLOYMENT_ONLY: ClassVar[frozenset[str]] = frozenset({"simulations"})

    window_days: int = Field(default=30, ge=1, le=365)
    curve_customer_contacts: Curve = Field(
        default_factory=lambda: _points((0, 0), (1, 40), (2, 60), (4, 80), (8, 100))
    )
    curve_decision_maker_attendance: Curve = Field(
        default_factory=lambda: _points((0, 0), (1, 100))
    )
    curve_proposal_revisions: Curve = Field(
        default_factory=lambda: _points((0, 0), (1, 50), (2, 80), (3, 100))
    )
    curve_buyer_reading: Curve = Field(default_factory=lambda: _points((0, 0), (1, 100)))
    weight_customer_contacts: Decimal = Field(default=Decimal(1), ge=0, le=1000)
    weight_decision_maker_attendance: Decimal = Field(default=Decimal(1), ge=0, le=1000)
    weight_proposal_revisions: Decimal = Field(default=Decimal(1), ge=0, le=1000)
    reading_as_input: bool = False
    weight_buyer_reading: Decimal = Field(default=Decimal(1), ge=0, le=1000)
    credibility_threshold: Decimal = Field(default=Decimal(60), ge=0, le=100)
    credibility_haircut: Decimal = Field(default=Decimal("0.7"), ge=0, le=1)
    # The CRM's default probability per open stage: the baseline calibration must beat, and
    # the probability of a historical snapshot whose CRM row was overwritten since.
    stage_probabilities: dict[str, float] = Field(
        default_factory=lambda: {
            "prospecting": 10.0,
            "qualification": 20.0,
            "discovery": 35.0,
            "proposal": 50.0,
            "negotiation": 70.0,
        }
    )
    simulations: int = 10_000
    seed: int = 20_240_601

    @model_validator(mode="after")
    def _valid(self) -> Self:
        for name in (
            "curve_customer_contacts",
            "curve_decision_maker_attendance",
            "curve_proposal_revisions",
            "curve_buyer_reading",
        ):
            _check_curve(name, getattr(self, name))
        weights = [
            self.weight_customer_contacts,
            self.weight_decision_maker_attendance,
            self.weight_proposal_revisions,
            self.weight_buyer_reading if self.reading_as_input else Decimal(0),
        ]
        if sum(weights) <= 0:
            raise ValueError("at least one credibility input needs a positive weight")
        return self


def _points(*pairs: tuple[int | float, int | float]) -> Curve:
    return [(Decimal(str(x)), Decimal(str(y))) for x, y in pairs]


class CalibrationSettings(_Group):
    """Minimum won+lost deals, L2 strength (C), held-out share of the newest deals; the
    monthly re-weighting's guardrails (each pillar between floor and ceiling percent, at most
    max_change points a month) and whether a passing fit is applied at once or proposed for
    an admin's approval; the job looks for due tenants every interval_seconds."""

    min_outcomes: int = 40
    c: float = 1.0
    holdout: float = 0.3
    pillar_floor: float = Field(default=5.0, ge=0.0, le=25.0)
    pillar_ceiling: float = Field(default=60.0, ge=25.0, le=100.0)
    max_monthly_change: float = Field(default=15.0, gt=0.0, le=100.0)
    auto_apply: bool = True
    interval_seconds: float = 3600.0

    DEPLOYMENT_ONLY: ClassVar[frozenset[str]] = frozenset({"interval_seconds"})


class WarmSettings(_Group):
    """The score warmer: an opportunity whose epoch was bumped is recomputed into the cache
    once dirty for `delay_seconds` (a burst of heartbeats costs one recomputation), at most
    `batch` per run every `interval_seconds` within `budget_seconds` (so the scheduler's
    other jobs stay on time); the costly engagement detail only for opportunities whose
    detail was pulled within `watch_days`. batch = 0 turns it off."""

    delay_seconds: float = 10.0
    batch: int = Field(default=50, ge=0, le=1_000)
    interval_seconds: float = 2.0
    watch_days: float = 7.0
    budget_seconds: float = 1.5


class ScoringSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Groups a tenant may not override at all.
    # `reading` too: a read means the same for every tenant of a deployment, so the
    # analytics, scores and notifications of one tenant never disagree with another's.
    DEPLOYMENT_GROUPS: ClassVar[frozenset[str]] = frozenset({"warm", "reading"})

    reading: ReadingSettings = Field(default_factory=ReadingSettings)
    engagement: EngagementSettings = Field(default_factory=EngagementSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)
    accounts: AccountHealthSettings = Field(default_factory=AccountHealthSettings)
    account_actions: AccountActionSettings = Field(default_factory=AccountActionSettings)
    finance: FinanceSettings = Field(default_factory=FinanceSettings)
    stall: StallSettings = Field(default_factory=StallSettings)
    early_warning: EarlyWarningSettings = Field(default_factory=EarlyWarningSettings)
    forecast: ForecastSettings = Field(default_factory=ForecastSettings)
    calibration: CalibrationSettings = Field(default_factory=CalibrationSettings)
    warm: WarmSettings = Field(default_factory=WarmSettings)

    def merged(self, overrides: dict[str, Any]) -> ScoringSettings:
        """These settings with a tenant's (nested) overrides applied, validated."""
        base = self.model_dump()
        for group, values in overrides.items():
            if isinstance(values, dict) and isinstance(base.get(group), dict):
                base[group] = {**base[group], **values}
        return ScoringSettings.model_validate(base)


def deployment_only_paths() -> frozenset[str]:
    """`group.name` of every setting only the operator may set (and `group` for whole
    groups)."""
    paths = set(ScoringSettings.DEPLOYMENT_GROUPS)
    for group, info in ScoringSettings.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, _Group):
            paths.update(f"{group}.{name}" for name in annotation.DEPLOYMENT_ONLY)
    return frozenset(paths)


# The flat names of overrides stored before the settings were nested.
_FLAT: dict[str, tuple[str, str]] = {
    **{
        name: ("engagement", name)
        for name in EngagementSettings.model_fields
        if name not in EngagementSettings.DEPLOYMENT_ONLY
    },
    **{f"health_{name}": ("health", name) for name in HealthSettings.model_fields},
    **{f"stall_{name}": ("stall", name) for name in StallSettings.model_fields},
    "stage_probabilities": ("forecast", "stage_probabilities"),
    "credibility_threshold": ("forecast", "credibility_threshold"),
    "credibility_haircut": ("forecast", "credibility_haircut"),
    "forecast_seed": ("forecast", "seed"),
    **{f"calibration_{name}": ("calibration", name) for name in CalibrationSettings.model_fields},
}


# Settings that no longer exist: the 8-item evidence weights of the credibility index the
# brief's three inputs replaced. Stored overrides may still hold them; they are dropped.
_RETIRED: frozenset[tuple[str, str]] = frozenset({("forecast", "evidence_weights")})


def flat_override(stored: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A stored override document in the nested shape: nested groups pass through, flat
    names of the old shape are moved into their group, retired and unknown names are
    dropped."""
    nested: dict[str, dict[str, Any]] = {}
    for key, value in stored.items():
        if key in ScoringSettings.model_fields and isinstance(value, dict):
            nested.setdefault(key, {}).update(value)
        elif key in _FLAT:
            group, name = _FLAT[key]
            nested.setdefault(group, {})[name] = value
    for group, name in _RETIRED:
        nested.get(group, {}).pop(name, None)
    return nested
