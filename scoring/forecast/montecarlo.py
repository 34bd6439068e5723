"""Seeded Monte Carlo of won revenue: each deal is won with its (calibrated) probability,
independently; totals per group are read as P10/P50/P90. Simulations run in chunks so
10 000 deals × 10 000 runs stays within a few tens of MB."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Quantiles", "simulate_totals"]

_CHUNK_CELLS = 4_000_000


@dataclass(frozen=True)
class Quantiles:
    p10: float
    p50: float
    p90: float
    mean: float


def simulate_totals(
    amounts: Sequence[float],
    probabilities: Sequence[float],
    groups: Mapping[str, Sequence[int]],
    *,
    simulations: int,
    seed: int,
) -> dict[str, Quantiles]:
    """Quantiles of Σ amount × won over the deals (by index) of each group."""
    m = len(amounts)
    names = list(groups)
    if m == 0 or not names:
        return {g: Quantiles(0.0, 0.0, 0.0, 0.0) for g in names}
    amount = np.asarray(amounts, dtype=np.float64)
    prob = np.clip(np.asarray(probabilities, dtype=np.float64), 0.0, 1.0)
    member = np.zeros((m, len(names)), dtype=np.float64)
    for j, g in enumerate(names):
        member[list(groups[g]), j] = amount[list(groups[g])]
    rng = np.random.default_rng(seed)
    chunk = max(1, _CHUNK_CELLS // m)
    totals = []
    for start in range(0, simulations, chunk):
        n = min(chunk, simulations - start)
        won = (rng.random((n, m)) < prob).astype(np.float64)
        totals.append(won @ member)
    runs = np.vstack(totals)
    p10, p50, p90 = np.percentile(runs, [10, 50, 90], axis=0)
    mean = runs.mean(axis=0)
    return {
        g: Quantiles(float(p10[j]), float(p50[j]), float(p90[j]), float(mean[j]))
        for j, g in enumerate(names)
    }
