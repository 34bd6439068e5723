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

New weights: pillar weights = the positive coefficients of a logistic fit on the four pillars
alone, normalised to 100 (all non-positive → the current weights are kept), then moved from
the current weights only within the guardrails (`scoring.health.guardrails`: each pillar
5–60 %, at most ±15 points a month).
The credibility index's weights are never fitted: they are the tenant's configuration.

The monthly re-weighting (每月校准分层权重): at least `min_outcomes` won/lost deals or the run is
"skipped: too few outcomes"; applied only if the held-out Brier improves and the held-out AUC
does not get worse; applied at once, or proposed for an admin's approval when the tenant's
`calibration.auto_apply` is off. Every run is recorded (`scoring.health.run_store`: weights
before, fitted and after, sample size, metrics, outcome) — the job, the admin's HTTP call
and the CLI all run `calibrate`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import orjson
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score

from scoring.forecast.credibility import INPUT_NAMES
from scoring.forecast.snapshot_store import closed_outcomes
from scoring.health.assess import assess, feature_vector
from scoring.health.features import tenant_stats
from scoring.health.guardrails import guard_weights
from scoring.health.pillars import PILLARS
from scoring.health.run_store import CalibrationRun, RunStatus, get_run, write_runs
from scoring.tenant import FEATURE_NAMES, HEALTH_MODEL, TenantScoring, load_tenant_scoring
from tracker.clock import utcnow
from tracker.config import Settings
from tracker.errors import Conflict, NotFound
from tracker.stores import ClickHouse
from tracker.tenant_settings import ModelWeights, save_model

__all__ = ["CalibrationResult", "FitScores", "approve_run", "calibrate", "training_rows"]


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
    input_auc: dict[str, float] = field(default_factory=dict)  # each index input alone
    weights: dict[str, dict[str, float]] = field(default_factory=dict)
    status: RunStatus = RunStatus.SKIPPED
    before_weights: dict[str, float] = field(default_factory=dict)


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
    result.before_weights = {k: round(v, 2) for k, v in scoring.pillar_weights().items()}
    if len(set(rows.y)) == 2:
        index_auc = roc_auc_score(np.asarray(rows.y), np.asarray(rows.credibility))
        result.credibility_auc = round(float(index_auc), 4)
        result.credibility_rows = len(rows.y)
        for name in INPUT_NAMES:
            column = [r[FEATURE_NAMES.index(name)] for r in rows.x]
            result.input_auc[name] = round(float(roc_auc_score(rows.y, column)), 4)
    if len(deals) < t.calibration.min_outcomes or len(set(rows.y)) < 2:
        result.reason = (
            f"skipped: too few outcomes ({len(deals)} < {t.calibration.min_outcomes} won and "
            "lost deals)"
        )
        return _recorded(ch, result, at)
    held = set(deals[int(len(deals) * (1 - t.calibration.holdout)) :])
    test = np.array([d in held for d in rows.deal])
    x, y = np.asarray(rows.x, dtype=np.float64), np.asarray(rows.y, dtype=np.int64)
    if len(set(y[~test].tolist())) < 2 or len(set(y[test].tolist())) < 2:
        result.reason = "skipped: the time-ordered split left one class only on a side"
        return _recorded(ch, result, at)
    model = LogisticRegression(C=t.calibration.c, max_iter=2000)
    model.fit(x[~test], y[~test])
    result.train_rows, result.test_rows = int((~test).sum()), int(test.sum())
    crm = x[test][:, FEATURE_NAMES.index("crm_probability")]
    result.baseline = _scores(y[test], crm)
    result.after = _scores(y[test], model.predict_proba(x[test])[:, 1])
    best, reference_auc = result.baseline.brier, result.baseline.auc
    if scoring.intercept is not None:
        before = [
            scoring.probability(dict(zip(FEATURE_NAMES, r, strict=True))) or 0.0 for r in x[test]
        ]
        result.before = _scores(y[test], np.asarray(before))
        best = min(best, result.before.brier)
        reference_auc = result.before.auc
    coef = dict(zip(FEATURE_NAMES, (float(c) for c in model.coef_[0]), strict=True))
    # the pillar weights weigh the four pillars against each other alone (the health value is
    # their weighted mean), so they come from a fit on the pillars alone: in the full model
    # the evidence items and the CRM probability absorb what the pillars share with them
    columns = [FEATURE_NAMES.index(n) for n in PILLARS]
    alone = LogisticRegression(C=t.calibration.c, max_iter=2000)
    alone.fit(x[~test][:, columns], y[~test])
    pillar_coef = dict(zip(PILLARS, (float(c) for c in alone.coef_[0]), strict=True))
    fitted = _normalised(pillar_coef, PILLARS, scoring.pillar_weights())
    cal = t.calibration
    pillars = guard_weights(
        scoring.pillar_weights(), fitted, floor=cal.pillar_floor, ceiling=cal.pillar_ceiling,
        max_change=cal.max_monthly_change,
    )  # fmt: skip
    result.weights = {"pillar_weights": pillars, "fitted_pillar_weights": fitted, "coef": coef}
    if result.after.brier >= best:
        result.status = RunStatus.REJECTED
        result.reason = f"held-out Brier {result.after.brier} does not beat {best}"
        return _recorded(ch, result, at)
    auc = result.after.auc
    if auc is not None and reference_auc is not None and auc < reference_auc:
        result.status = RunStatus.REJECTED
        result.reason = f"held-out AUC {auc} is worse than {reference_auc}"
        return _recorded(ch, result, at)
    metrics = {
        "baseline": result.baseline.__dict__, "after": result.after.__dict__,
        "before": result.before.__dict__ if result.before else None,
        "train_rows": result.train_rows, "test_rows": result.test_rows, "deals": len(deals),
    }  # fmt: skip
    weights = {
        "pillar_weights": pillars, "coef": coef,
        "intercept": float(model.intercept_[0]), "features": list(FEATURE_NAMES),
    }  # fmt: skip
    model = ModelWeights(HEALTH_MODEL, version, weights, metrics, at)
    if not cal.auto_apply:
        result.status = RunStatus.PROPOSED
        result.reason = "held-out Brier improved; proposed for an admin's approval"
        return _recorded(ch, result, at, model)
    save_model(ch, tenant_id, model)
    result.accepted, result.status = True, RunStatus.APPLIED
    result.reason = "held-out Brier improved, AUC not worse: applied"
    return _recorded(ch, result, at, model)


def _metrics(r: CalibrationResult) -> dict[str, Any]:
    def scores(s: FitScores | None) -> dict[str, Any] | None:
        return None if s is None else {"brier": s.brier, "auc": s.auc}

    return {
        "baseline": scores(r.baseline), "before": scores(r.before), "after": scores(r.after),
        "train_rows": r.train_rows, "test_rows": r.test_rows, "deals": r.deals,
    }  # fmt: skip


def _recorded(
    ch: ClickHouse, r: CalibrationResult, at: datetime, model: ModelWeights | None = None
) -> CalibrationResult:
    """Write the run's record (every run, whatever its outcome) and hand the result back."""
    stored = ""
    if model is not None:
        stored = orjson.dumps(
            {"model_version": model.model_version, "weights": model.weights,
             "metrics": model.metrics}
        ).decode()  # fmt: skip
    run = CalibrationRun(
        run_id=r.model_version,
        ran_at=at,
        status=r.status,
        reason=r.reason,
        model_version=r.model_version,
        outcomes=r.deals,
        before_weights=orjson.dumps(r.before_weights).decode(),
        fitted_weights=orjson.dumps(r.weights.get("fitted_pillar_weights", {})).decode(),
        after_weights=orjson.dumps(r.weights.get("pillar_weights", {})).decode(),
        metrics=orjson.dumps(_metrics(r)).decode(),
        model=stored,
    )
    write_runs(ch, r.tenant_id, [run])
    return r


def approve_run(ch: ClickHouse, tenant_id: str, run_id: str, by: str) -> CalibrationRun:
    """An admin approves a proposed run: its model is stored and in force."""
    run = get_run(ch, tenant_id, run_id)
    if run is None:
        raise NotFound("unknown calibration run", code="calibration_run_not_found")
    if run.status is not RunStatus.PROPOSED or not run.model:
        raise Conflict(
            f"run {run_id} is {run.status.value}, not proposed", code="calibration_not_proposed"
        )
    stored = orjson.loads(run.model)
    save_model(
        ch,
        tenant_id,
        ModelWeights(HEALTH_MODEL, stored["model_version"], stored["weights"], stored["metrics"],
                     utcnow()),
    )  # fmt: skip
    approved = replace(run, status=RunStatus.APPROVED, approved_by=by)
    write_runs(ch, tenant_id, [approved])
    return approved
