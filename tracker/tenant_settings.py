"""Per-tenant configuration documents and fitted model weights (JSON in ClickHouse).

`tenant_settings`: one JSON object per (tenant, key); the newest version wins. Key `scoring`
holds overrides of `ScoringSettings` fields (health weights and bands, stall windows,
evidence weights, …) that apply to that tenant only; deployment settings
(`ScoringSettings.DEPLOYMENT_ONLY`) stored there are never applied.

`model_weights`: every accepted calibration fit is a new `model_version` row; the newest per
(tenant, model) is active."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
import pyarrow as pa

from tracker.clock import TS, utcnow, version_now
from tracker.config import ScoringSettings
from tracker.stores.clickhouse import ClickHouse

__all__ = [
    "ModelWeights",
    "active_model",
    "get_tenant_settings",
    "put_tenant_settings",
    "save_model",
    "scoring_overrides",
]


def get_tenant_settings(ch: ClickHouse, tenant_id: str, key: str) -> dict[str, Any]:
    rows = ch.query(
        f"SELECT argMax(value, version) AS value FROM {ch.database}.tenant_settings "
        "WHERE tenant_id = {tenant_id:String} AND key = {key:String}",
        {"tenant_id": tenant_id, "key": key},
    )
    raw = rows[0]["value"] if rows else ""
    loaded = orjson.loads(raw) if raw else {}
    return dict(loaded) if isinstance(loaded, dict) else {}


def scoring_overrides(ch: ClickHouse, tenant_id: str) -> dict[str, Any]:
    """The tenant's `scoring` overrides, less deployment settings: the API refuses them, but
    a document stored before it did (or written around it) may still hold some."""
    stored = get_tenant_settings(ch, tenant_id, "scoring")
    return {k: v for k, v in stored.items() if k not in ScoringSettings.DEPLOYMENT_ONLY}


def put_tenant_settings(ch: ClickHouse, tenant_id: str, key: str, value: Mapping[str, Any]) -> None:
    ch.insert(
        "tenant_settings",
        pa.table(
            {
                "tenant_id": [tenant_id],
                "key": [key],
                "value": [orjson.dumps(dict(value)).decode()],
                "updated_at": pa.array([utcnow()], TS),
                "version": pa.array([version_now()], pa.uint64()),
            }
        ),
    )


@dataclass(frozen=True)
class ModelWeights:
    model: str
    model_version: str
    weights: dict[str, Any]
    metrics: dict[str, Any]
    created_at: datetime


def save_model(ch: ClickHouse, tenant_id: str, found: ModelWeights) -> None:
    ch.insert(
        "model_weights",
        pa.table(
            {
                "tenant_id": [tenant_id],
                "model": [found.model],
                "model_version": [found.model_version],
                "weights": [orjson.dumps(found.weights).decode()],
                "metrics": [orjson.dumps(found.metrics).decode()],
                "created_at": pa.array([found.created_at], TS),
                "version": pa.array([version_now()], pa.uint64()),
            }
        ),
    )


def active_model(ch: ClickHouse, tenant_id: str, model: str) -> ModelWeights | None:
    rows = ch.query(
        "SELECT model, model_version, weights, metrics, created_at "
        f"FROM {ch.database}.model_weights FINAL "
        "WHERE tenant_id = {tenant_id:String} AND model = {model:String} "
        "ORDER BY created_at DESC, version DESC LIMIT 1",
        {"tenant_id": tenant_id, "model": model},
    )
    if not rows:
        return None
    row = rows[0]
    return ModelWeights(
        model=row["model"],
        model_version=row["model_version"],
        weights=orjson.loads(row["weights"]),
        metrics=orjson.loads(row["metrics"]),
        created_at=row["created_at"],
    )
