"""Re-fit the health and credibility weights from outcomes.

Training rows are point-in-time snapshots (scoring.health.features, no live engagement score) of
deals on a grid of dates (every `step_days`), labelled with the deal's eventual won/lost
outcome; only deals that closed after the snapshot count. Split by time: the deals that
closed last (`calibration_holdout`, 30 %) are held out. Model: L2-regularised logistic
regression (scikit-learn) on `scoring.tenant.FEATURE_NAMES` (the CRM probability, the four
pillars /100, the three credibility input scores /100 and the supporting evidence items).
Reported on the held-out rows: Brier and AUC of the CRM stage probability (baseline), of the
active model (before) and of the new fit (after). The fit is stored as a new `model_version`
only if its Brier beats both. Reported too: the AUC of the credibility index alone (won vs
lost, every training row) — whether the brief's index separates the deals at all.

New weights: pillar weights = positive pillar coefficients normalised to 100 (all
non-positive → the current weights are kept). The credibility index's weights are never
fitted: they are the tenant's configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score

from scoring.forecast.snapshot_store import closed_outcomes
from scoring.health.assess import assess, feature_vector
from scoring.health.features import tenant_stats
from scoring.health.pillars import PILLARS
from scoring.tenant import FEATURE_NAMES, HEALTH_MODEL, TenantScoring, load_tenant_scoring
from tracker.clock import utcnow
from tracker.config import Settings
from tracker.stores import ClickHouse
from tracker.tenant_settings import ModelWeights, save_model

__all__ = ["CalibrationResult", "FitScores", "calibrate", "training_rows"]


@dataclass(frozen=True)
class FitScores:
    brier: float
    auc: float | None


@dataclass
class CalibrationResult:
    tenant_id: str
    accepted: bool
    reason: str
    model_version: str
    train_rows: int = 0
    test_rows: int = 0
    deals: int = 0
    baseline: FitScores | None = None
    before: FitScores | None = None
    after: FitScores | None = None
    credibility_auc: float | None = None
    credibility_rows: int = 0
    weights: dict[str, dict[str, float]] = field(default_factory=dict)


@dataclass
class TrainingRows:
    x: list[list[float]] = field(default_factory=list)
    y: list[int] = field(default_factory=list)
    closed_at: list[datetime] = field(default_factory=list)
    deal: list[str] = field(default_factory=list)
    credibility: list[float] = field(default_factory=list)


def training_rows(
    ch: ClickHouse, scoring: TenantScoring, tenant_id: str, *, start: datetime, end: datetime,
    step_days: int,
) -> TrainingRows:  # fmt: skip
    """Snapshots of open deals every `step_days` in [start, end), labelled by outcome."""
    outcomes = closed_outcomes(ch, tenant_id)
    rows = TrainingRows()
    day = start
    while day < end:
        found = assess(
            ch, scoring, tenant_id, None, day, now=day, with_engagement=False, open_only=True
        )
        stats = tenant_stats(ch, tenant_id, day, scoring.tuning)
        for k, a in sorted(found.items()):
            label = outcomes.get(k)
            if label is None or label[1] <= day:
                continue
            x = feature_vector(a.features, stats, scoring.tuning)
            rows.x.append([x[n] for n in FEATURE_NAMES])
            rows.y.append(int(label[0]))
            rows.closed_at.append(label[1])
            rows.deal.append(k)
            rows.credibility.append(x["credibility_index"])
        day += timedelta(days=step_days)
    return rows


def _scores(y: np.ndarray, p: np.ndarray) -> FitScores:
    auc = float(roc_auc_score(y, p)) if len(set(y.tolist())) == 2 else None
    return FitScores(
        round(float(brier_score_loss(y, p)), 5), None if auc is None else round(auc, 4)
    )


def _normalised(
    coef: dict[str, float], names: tuple[str, ...], fallback: dict[str, float]
) -> dict[str, float]:
    positive = {n: max(coef[n], 0.0) for n in names}
    total = sum(positive.values())
    if total <= 0:
        return fallback
    return {n: round(100 * v / total, 3) for n, v in positive.items()}


def calibrate(
    ch: ClickHouse,
    tenant_id: str,
    settings: Settings,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    step_days: int = 14,
    now: datetime | None = None,
) -> CalibrationResult:
    """Fit, evaluate on the held-out (latest-closing) deals, store if better."""
    at = now or utcnow()
    scoring = load_tenant_scoring(ch, tenant_id, settings.scoring)
    t = scoring.tuning
    stop = end or at
    rows = training_rows(
        ch, scoring, tenant_id, start=start or stop - timedelta(days=365), end=stop,
        step_days=step_days,
    )  # fmt: skip
    version = f"health-cal-{at:%Y%m%d%H%M%S}"
    closing = dict(zip(rows.deal, rows.closed_at, strict=True))
    deals = sorted(closing, key=lambda d: (closing[d], d))
    result = CalibrationResult(tenant_id, False, "", version, deals=len(deals))
    if len(set(rows.y)) == 2:
        index_auc = roc_auc_score(np.asarray(rows.y), np.asarray(rows.credibility))
        result.credibility_auc = round(float(index_auc), 4)
        result.credibility_rows = len(rows.y)
    if len(deals) < t.calibration.min_outcomes or len(set(rows.y)) < 2:
        result.reason = (
            f"not enough won and lost deals ({len(deals)} < {t.calibration.min_outcomes})"
        )
        return result
    held = set(deals[int(len(deals) * (1 - t.calibration.holdout)) :])
    test = np.array([d in held for d in rows.deal])
    x, y = np.asarray(rows.x, dtype=np.float64), np.asarray(rows.y, dtype=np.int64)
    if len(set(y[~test].tolist())) < 2 or len(set(y[test].tolist())) < 2:
        result.reason = "the time-ordered split left one class only on a side"
        return result
    model = LogisticRegression(C=t.calibration.c, max_iter=2000)
    model.fit(x[~test], y[~test])
    result.train_rows, result.test_rows = int((~test).sum()), int(test.sum())
    crm = x[test][:, FEATURE_NAMES.index("crm_probability")]
    result.baseline = _scores(y[test], crm)
    result.after = _scores(y[test], model.predict_proba(x[test])[:, 1])
    best = result.baseline.brier
    if scoring.intercept is not None:
        before = [
            scoring.probability(dict(zip(FEATURE_NAMES, r, strict=True))) or 0.0 for r in x[test]
        ]
        result.before = _scores(y[test], np.asarray(before))
        best = min(best, result.before.brier)
    coef = dict(zip(FEATURE_NAMES, (float(c) for c in model.coef_[0]), strict=True))
    pillars = _normalised(coef, PILLARS, scoring.pillar_weights())
    result.weights = {"pillar_weights": pillars, "coef": coef}
    if result.after.brier >= best:
        result.reason = f"held-out Brier {result.after.brier} does not beat {best}"
        return result
    metrics = {
        "baseline": result.baseline.__dict__, "after": result.after.__dict__,
        "before": result.before.__dict__ if result.before else None,
        "train_rows": result.train_rows, "test_rows": result.test_rows, "deals": len(deals),
    }  # fmt: skip
    weights = {
        "pillar_weights": pillars, "coef": coef,
        "intercept": float(model.intercept_[0]), "features": list(FEATURE_NAMES),
    }  # fmt: skip
    save_model(ch, tenant_id, ModelWeights(HEALTH_MODEL, version, weights, metrics, at))
    result.accepted, result.reason = True, "held-out Brier improved"
    return result
