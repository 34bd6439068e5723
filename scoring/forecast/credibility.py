"""预测可信度指数 — the forecast credibility index, exactly as the brief defines it: per
opportunity, from its last `window_days` (30), three inputs

    customer_initiated_contacts_30d     客户主动沟通频次: inbound meetings, emails and calls
    decision_maker_attendance_rate_30d  关键决策人参会率: held meetings with a decision-maker
                                        among the attendees / held meetings (a meeting the CRM
                                        did not mark held or not counts as held; none held → 0)
    proposal_revisions_30d              方案修订次数: new versions (revision ≥ 2) of the
                                        opportunity's documents + `proposal_revision` activities

and, only when a tenant opts in (`reading_as_input`), a fourth:

    buyer_reading_30d                   depth (0–1) of the deepest-read document version read
                                        in the window

Each raw value becomes a 0–100 score by its curve (`ForecastSettings.curve_*`: points
(raw, score), straight lines between them, flat beyond the ends), rounded half-up to 0.1.
Defaults::

    contacts       0 → 0, 1 → 40, 2 → 60, 4 → 80, 8+ → 100     (weekly inbound contact = 80)
    attendance     0 → 0, 1 → 100                               (the rate, linearly)
    revisions      0 → 0, 1 → 50, 2 → 80, 3+ → 100
    reading        0 → 0, 1 → 100                               (depth, linearly)

    index              = Σ weight × score / Σ weight, rounded half-up to 0.1 (equal weights)
    crm_forecast       = amount × probability
    adjusted_forecast  = crm_forecast × haircut (0.7) when index < threshold (60), else as is

All in `Decimal`: 59.9 is discounted, 60.0 is not. Nothing else enters the index; the rest of
the evidence chain (`scoring.forecast.evidence`) is shown beside it."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, Literal

from pydantic import BaseModel, Field

from scoring.trusted import trusted
from tracker.scoring_settings import Curve, ForecastSettings

__all__ = [
    "INPUT_NAMES",
    "READING_INPUT",
    "CredibilityIndex",
    "CredibilityInput",
    "CredibilityRaw",
    "Proof",
    "apply_haircut",
    "credibility_index",
    "curve_score",
]

CONTACTS: Final = "customer_initiated_contacts_30d"
ATTENDANCE: Final = "decision_maker_attendance_rate_30d"
REVISIONS: Final = "proposal_revisions_30d"
READING_INPUT: Final = "buyer_reading_30d"
INPUT_NAMES: Final = (CONTACTS, ATTENDANCE, REVISIONS)

_TENTH = Decimal("0.1")
_SHARE = Decimal("0.0001")
_RATE = Decimal("0.0001")


class Proof(BaseModel):
    """One activity or document version behind an input."""

    kind: Literal["activity", "document_version"]
    id: str
    type: str = Field(description="activity type, or `document_version`")
    at: datetime
    label: str = ""
    decision_makers: list[str] = Field(
        default_factory=list, description="meetings: the decision-makers among the attendees"
    )


@dataclass(frozen=True)
class CredibilityRaw:
    """What one opportunity's window holds (`scoring.forecast.credibility_repository`)."""

    contacts: tuple[Proof, ...] = ()
    held_meetings: tuple[Proof, ...] = ()
    revisions: tuple[Proof, ...] = ()
    reading_depth: float = 0.0
    reading_proof: tuple[Proof, ...] = ()


class CredibilityInput(BaseModel):
    raw_value: Decimal | None = Field(
        description="count, or rate 0–1 (null: no held meeting to take a rate of)"
    )
    score: Decimal = Field(ge=0, le=100)
    weight: Decimal = Field(description="share of the index, 0–1")
    summary: str
    proof: list[Proof]


class CredibilityIndex(BaseModel):
    credibility_index: Decimal = Field(ge=0, le=100)
    inputs: dict[str, CredibilityInput]
    window_days: int
    threshold: Decimal
    haircut: Decimal
    haircut_applied: bool


def curve_score(points: Curve, raw: Decimal) -> Decimal:
    """Piecewise-linear through `points`, flat beyond the ends, rounded half-up to 0.1."""
    if raw <= points[0][0]:
        return points[0][1].quantize(_TENTH, ROUND_HALF_UP)
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if raw <= x1:
            return (y0 + (y1 - y0) * (raw - x0) / (x1 - x0)).quantize(_TENTH, ROUND_HALF_UP)
    return points[-1][1].quantize(_TENTH, ROUND_HALF_UP)


def apply_haircut(crm_forecast: Decimal, index: Decimal, t: ForecastSettings) -> Decimal:
    return crm_forecast * t.credibility_haircut if index < t.credibility_threshold else crm_forecast


def _dm_meetings(meetings: Sequence[Proof]) -> list[Proof]:
    return [m for m in meetings if m.decision_makers]


def credibility_index(raw: CredibilityRaw, t: ForecastSettings) -> CredibilityIndex:
    days = t.window_days
    with_dm = _dm_meetings(raw.held_meetings)
    held = len(raw.held_meetings)
    rate = (Decimal(len(with_dm)) / Decimal(held)).quantize(_RATE, ROUND_HALF_UP) if held else None
    depth = Decimal(str(round(raw.reading_depth, 4)))
    parts: list[tuple[str, Decimal | None, Decimal, Curve, str, list[Proof]]] = [
        (
            CONTACTS,
            Decimal(len(raw.contacts)),
            t.weight_customer_contacts,
            t.curve_customer_contacts,
            f"{len(raw.contacts)} customer-initiated contact(s) in {days} days",
            list(raw.contacts),
        ),
        (
            ATTENDANCE,
            rate,
            t.weight_decision_maker_attendance,
            t.curve_decision_maker_attendance,
            f"a decision-maker at {len(with_dm)} of {held} held meeting(s) in {days} days",
            list(raw.held_meetings),
        ),
        (
            REVISIONS,
            Decimal(len(raw.revisions)),
            t.weight_proposal_revisions,
            t.curve_proposal_revisions,
            f"{len(raw.revisions)} proposal revision(s) in {days} days",
            list(raw.revisions),
        ),
    ]
    if t.reading_as_input:
        parts.append(
            (
                READING_INPUT,
                depth,
                t.weight_buyer_reading,
                t.curve_buyer_reading,
                f"deepest read in {days} days: {raw.reading_depth:.0%} of a document",
                list(raw.reading_proof),
            )
        )
    total = sum((w for _, _, w, _, _, _ in parts), Decimal(0))
    inputs: dict[str, CredibilityInput] = {}
    weighted = Decimal(0)
    for name, value, weight, curve, summary, proof in parts:
        score = curve_score(curve, value) if value is not None else Decimal("0.0")
        weighted += weight * score
        inputs[name] = trusted(
            CredibilityInput,
            raw_value=value,
            score=score,
            weight=(weight / total).quantize(_SHARE, ROUND_HALF_UP),
            summary=summary,
            proof=proof,
        )
    index = (weighted / total).quantize(_TENTH, ROUND_HALF_UP)
    return trusted(
        CredibilityIndex,
        credibility_index=index,
        inputs=inputs,
        window_days=days,
        threshold=t.credibility_threshold,
        haircut=t.credibility_haircut,
        haircut_applied=index < t.credibility_threshold,
    )
