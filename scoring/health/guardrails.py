"""Guardrails of the monthly re-weighting of the health pillars (每月校准分层权重): the fitted
weights move the current ones only within bounds.

    each pillar      between `floor` and `ceiling` percent (default 5 %–60 %)
    monthly change   at most `max_change` points up or down (default ±15)
    total            100 %

Within those bounds the result is as close as possible to the fit: every pillar's fitted
weight shifted by one common amount λ and clamped into its bounds, λ chosen so the total is
100 (water filling; bisection on λ). So a pillar that predicts renewal well rises towards its
fit — relationship quality 20 % → 35 % when the fit wants more — and no pillar collapses to
0 % in one month (the fit on synthetic data once set relationship 40 % → 0 %)."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["guard_weights"]


def _as_percent(weights: Mapping[str, float]) -> dict[str, float]:
    total = sum(max(v, 0.0) for v in weights.values()) or 1.0
    return {k: 100.0 * max(v, 0.0) / total for k, v in weights.items()}


def guard_weights(
    current: Mapping[str, float],
    fitted: Mapping[str, float],
    *,
    floor: float = 5.0,
    ceiling: float = 60.0,
    max_change: float = 15.0,
) -> dict[str, float]:
    """The new weights (percent, two decimals, total 100) for the pillars of `current`."""
    now, fit = _as_percent(current), _as_percent(fitted)
    bounds = {}
    for k, cur in now.items():
        lo, hi = max(floor, cur - max_change), min(ceiling, cur + max_change)
        bounds[k] = (min(lo, hi), max(lo, hi))
    if sum(lo for lo, _ in bounds.values()) > 100 or sum(hi for _, hi in bounds.values()) < 100:
        return {k: round(v, 2) for k, v in now.items()}  # bounds cannot total 100: keep

    def placed(shift: float) -> dict[str, float]:
        return {k: min(max(fit.get(k, 0.0) + shift, lo), hi) for k, (lo, hi) in bounds.items()}

    low, high = -200.0, 200.0
    for _ in range(200):
        mid = (low + high) / 2
        if sum(placed(mid).values()) < 100:
            low = mid
        else:
            high = mid
    found = {k: round(v, 2) for k, v in placed(high).items()}
    # rounding may leave a few hundredths: give them to the pillar with the most room
    rest = round(100.0 - sum(found.values()), 2)
    if rest:
        k = max(
            found, key=lambda n: bounds[n][1] - found[n] if rest > 0 else found[n] - bounds[n][0]
        )
        found[k] = round(found[k] + rest, 2)
    return found
