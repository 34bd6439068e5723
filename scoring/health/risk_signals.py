"""The brief's early-warning signals (客户分层: dynamic behaviour static tiers miss) as one
shape: a code with its parameters (rendered from the catalogs, `signal.<code>`), an English
summary for English readers and logs, the points the risk pillar loses while it is open, and
the CRM activities or document reads (event ids) that prove it (the evidence a person
clicks through), and the person it concerns when it names one."""

from __future__ import annotations

from pydantic import BaseModel, Field

__all__ = ["RiskSignal", "SignalParam"]

SignalParam = str | int | float


class RiskSignal(BaseModel):
    code: str
    params: dict[str, SignalParam] = Field(default_factory=dict)
    summary: str
    penalty: float = Field(ge=0, le=100, description="risk-pillar points lost while open")
    activity_ids: list[str] = Field(default_factory=list)
    event_ids: list[str] = Field(default_factory=list)
    person: str = Field(default="", description="c:<contact id> or v:<viewer id>, when named")
