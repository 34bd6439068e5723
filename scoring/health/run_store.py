"""The record of every monthly re-weighting run (migration 0017), newest first."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

import orjson
import pyarrow as pa

from tracker.clock import TS
from tracker.stores import ClickHouse, EntityTable

__all__ = ["CalibrationRun", "RunStatus", "get_run", "list_runs", "write_runs"]


class RunStatus(StrEnum):
    APPLIED = "applied"  # passed the checks, in force
    PROPOSED = "proposed"  # passed the checks, waiting for an admin (tenant: auto_apply off)
    APPROVED = "approved"  # a proposal an admin approved: in force
    REJECTED = "rejected"  # held-out Brier or AUC got worse: nothing changed
    SKIPPED = "skipped"  # too few outcomes to fit


@dataclass(frozen=True)
class CalibrationRun:
    run_id: str
    ran_at: datetime
    status: RunStatus
    reason: str
    model_version: str
    outcomes: int
    before_weights: str  # JSON {pillar: percent}
    fitted_weights: str
    after_weights: str
    metrics: str  # JSON
    model: str  # JSON: what `save_model` stores on approval ('' when nothing to store)
    approved_by: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "ran_at": self.ran_at.isoformat(),
            "status": self.status.value,
            "reason": self.reason,
            "model_version": self.model_version,
            "outcomes": self.outcomes,
            "before_weights": orjson.loads(self.before_weights or "{}"),
            "fitted_weights": orjson.loads(self.fitted_weights or "{}"),
            "after_weights": orjson.loads(self.after_weights or "{}"),
            "metrics": orjson.loads(self.metrics or "{}"),
            "approved_by": self.approved_by,
        }


RUNS: Final = EntityTable(
    "calibration_runs", CalibrationRun, {"ran_at": TS, "outcomes": pa.uint32()}
)


def write_runs(ch: ClickHouse, tenant_id: str, items: Sequence[CalibrationRun]) -> None:
    RUNS.write(ch, items, tenant_id=tenant_id)


def list_runs(ch: ClickHouse, tenant_id: str, *, limit: int = 50) -> list[CalibrationRun]:
    return RUNS.select(ch, tenant_id, order_by="ran_at DESC, run_id", limit=limit)


def get_run(ch: ClickHouse, tenant_id: str, run_id: str) -> CalibrationRun | None:
    found = RUNS.select(ch, tenant_id, equals={"run_id": run_id}, limit=1)
    return found[0] if found else None
