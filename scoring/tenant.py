"""A tenant's scoring: the deployment's `ScoringSettings` with the tenant's overrides
(`PUT /api/v1/settings/scoring`) and its calibrated model when one was accepted — resolved
once per request (`api.rest.tenant_scoring`) or per job run, and cached briefly per process
so a score pull pays no ClickHouse round trip for it."""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from scoring.forecast.credibility import INPUT_NAMES
from scoring.forecast.evidence import EVIDENCE_CODES
from scoring.health.pillars import PILLARS
from tracker.scoring_settings import ScoringSettings
from tracker.stores import ClickHouse
from tracker.tenant_settings import active_model, scoring_overrides

__all__ = [
    "DEFAULT_MODEL_VERSION",
    "FEATURE_NAMES",
    "HEALTH_MODEL",
    "TenantScoring",
    "TenantScoringCache",
    "load_tenant_scoring",
]

DEFAULT_MODEL_VERSION: Final = "health-1.0"
# The credibility inputs enter as their 0–100 scores / 100; the fit never changes the
# index's own weights (those are the tenant's configuration, equal by default).
FEATURE_NAMES: Final = ("crm_probability", *PILLARS, *INPUT_NAMES, *EVIDENCE_CODES)
HEALTH_MODEL: Final = "health"


@dataclass(frozen=True)
class TenantScoring:
    """A tenant's effective tuning, and its calibrated logistic model when one exists."""

    tuning: ScoringSettings
    model_version: str = DEFAULT_MODEL_VERSION
    intercept: float | None = None
    coef: Mapping[str, float] = field(default_factory=dict)

    def pillar_weights(self) -> dict[str, float]:
        t = self.tuning
        return {
            "commercial": t.health.weight_commercial,
            "cooperation": t.health.weight_cooperation,
            "relationship": t.health.weight_relationship,
            "risk": t.health.weight_risk,
        }

    @property
    def engagement_fingerprint(self) -> str:
        """Changes whenever a setting that shapes an engagement score does: part of the
        score cache's keys, so a tenant's new settings never serve an old score."""
        groups = self.tuning.model_dump(include={"reading", "engagement"})
        for name in self.tuning.engagement.DEPLOYMENT_ONLY:
            groups["engagement"].pop(name, None)
        digest = hashlib.sha256(orjson.dumps(groups, option=orjson.OPT_SORT_KEYS))
        return digest.hexdigest()[:12]

    def probability(self, x: Mapping[str, float]) -> float | None:
        if self.intercept is None:
            return None
        z = self.intercept + sum(self.coef.get(n, 0.0) * x[n] for n in FEATURE_NAMES)
        return 1.0 / (1.0 + math.exp(-max(min(z, 30.0), -30.0)))


def load_tenant_scoring(ch: ClickHouse, tenant_id: str, base: ScoringSettings) -> TenantScoring:
    tuning = base.merged(scoring_overrides(ch, tenant_id))
    model = active_model(ch, tenant_id, HEALTH_MODEL)
    if model is None:
        return TenantScoring(tuning)
    w: dict[str, Any] = model.weights
    fitted = tuning.merged({"health": {f"weight_{k}": v for k, v in w["pillar_weights"].items()}})
    return TenantScoring(
        fitted,
        model.model_version,
        float(w["intercept"]),
        {k: float(v) for k, v in w["coef"].items()},
    )


class TenantScoringCache:
    """`load_tenant_scoring` per tenant, kept for `ttl_seconds` (a changed setting or a
    newly accepted model is in force everywhere within that time)."""

    def __init__(self, base: ScoringSettings, *, ttl_seconds: float = 5.0) -> None:
        self._base = base
        self._ttl = ttl_seconds
        self._entries: dict[str, tuple[float, TenantScoring]] = {}

    async def get(self, ch: ClickHouse, tenant_id: str) -> TenantScoring:
        now = time.monotonic()
        hit = self._entries.get(tenant_id)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        found = await asyncio.to_thread(load_tenant_scoring, ch, tenant_id, self._base)
        if len(self._entries) >= 10_000:  # made-up tenants cannot grow it without bound
            self._entries.clear()
        self._entries[tenant_id] = (now, found)
        return found

    def forget(self, tenant_id: str) -> None:
        """Drop a tenant's entry (its settings just changed in this process)."""
        self._entries.pop(tenant_id, None)
