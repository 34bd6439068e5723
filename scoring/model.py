"""The score every scope returns (pydantic models: they are the API's response schema and the
score cache's serialisation)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final

from pydantic import BaseModel, Field

__all__ = [
    "MODEL_VERSION",
    "Band",
    "Component",
    "EngagedPerson",
    "Factor",
    "Freshness",
    "Notice",
    "Score",
    "Sufficiency",
    "SufficiencyLevel",
]

MODEL_VERSION: Final = "engagement-1.0"


class Band(StrEnum):
    """hot: value ≥ hot_threshold (70); warm: ≥ warm_threshold (40); cold: below."""

    HOT = "hot"
    WARM = "warm"
    COLD = "cold"


class SufficiencyLevel(StrEnum):
    """none: no human activity at all; low: under `sufficient_dwell_seconds` of reading and no
    meeting; ok: enough to act on."""

    NONE = "none"
    LOW = "low"
    OK = "ok"


class Factor(BaseModel):
    code: str
    summary: str
    contribution: float = Field(description="points of the 0–100 value (negative: points lost)")


class Notice(BaseModel):
    code: str
    message: str


class Component(BaseModel):
    """One weighted part of the value: points = max_points × value."""

    value: float = Field(ge=0, le=1, description="0–1 after time decay")
    undecayed: float = Field(ge=0, le=1, description="0–1 as if everything happened now")
    points: float
    max_points: float


class EngagedPerson(BaseModel):
    person: str = Field(description="c:<contact id> or v:<viewer id> (a forwarded viewer)")
    name: str
    email: str
    is_decision_maker: bool
    forwarded: bool
    last_engaged_at: datetime


class Freshness(BaseModel):
    last_event_at: datetime | None = Field(description="newest human document event")
    last_activity_at: datetime | None = Field(description="newest CRM activity")
    data_as_of: datetime


class Sufficiency(BaseModel):
    level: SufficiencyLevel
    human_events: int
    bot_events: int
    dwell_seconds: float
    people: int
    meetings: int


class Score(BaseModel):
    scope: str
    key: str
    label: str = ""
    value: float = Field(ge=0, le=100)
    band: Band
    top_positive: list[Factor]
    top_negative: list[Factor]
    warnings: list[Notice]
    components: dict[str, Component]
    people: list[EngagedPerson]
    visits: int
    revisits: int
    downloads: int
    pricing_focus: float = Field(description="share of reading time on pages tagged pricing")
    depth: float = Field(description="best document's read depth, 0–1 (decayed)")
    freshness: Freshness
    sufficiency: Sufficiency
    model_version: str = MODEL_VERSION
    scored_at: datetime
