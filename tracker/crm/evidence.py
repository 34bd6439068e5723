"""Stage evidence attached to an opportunity (`tracker.stages` says which kinds a stage
needs): a sanitised file (by blob digest) or a reference number. Scoring reads which kinds an
opportunity had as of a moment."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

from tracker.clock import TS, utcnow, version_now
from tracker.ids import new_id
from tracker.stores.clickhouse import ClickHouse

__all__ = ["StageEvidence", "evidence_kinds", "list_evidence", "record_evidence"]


@dataclass(frozen=True)
class StageEvidence:
    evidence_id: str
    opportunity_id: str
    kind: str
    created_at: datetime
    reference: str = ""
    blob_sha256: str = ""
    filename: str = ""
    content_type: str = ""
    size_bytes: int = 0
    note: str = ""
    created_by: str = ""


def record_evidence(
    ch: ClickHouse,
    tenant_id: str,
    opportunity_id: str,
    kind: str,
    *,
    reference: str = "",
    blob_sha256: str = "",
    filename: str = "",
    content_type: str = "",
    size_bytes: int = 0,
    note: str = "",
    created_by: str = "",
) -> StageEvidence:
    item = StageEvidence(
        new_id("evidence"), opportunity_id, kind, utcnow(), reference, blob_sha256, filename,
        content_type, size_bytes, note, created_by,
    )  # fmt: skip
    ch.insert(
        "opportunity_evidence",
        pa.table(
            {
                "tenant_id": [tenant_id],
                "opportunity_id": [item.opportunity_id],
                "evidence_id": [item.evidence_id],
                "kind": [item.kind],
                "reference": [item.reference],
                "blob_sha256": [item.blob_sha256],
                "filename": [item.filename],
                "content_type": [item.content_type],
                "size_bytes": pa.array([item.size_bytes], pa.uint64()),
                "note": [item.note],
                "created_by": [item.created_by],
                "created_at": pa.array([item.created_at], TS),
                "version": pa.array([version_now()], pa.uint64()),
            }
        ),
    )
    return item


def list_evidence(ch: ClickHouse, tenant_id: str, opportunity_id: str) -> list[StageEvidence]:
    """Oldest first."""
    rows = ch.query(
        "SELECT evidence_id, opportunity_id, kind, created_at, reference, blob_sha256, "
        "filename, content_type, size_bytes, note, created_by "
        f"FROM {ch.database}.opportunity_evidence FINAL "
        "WHERE tenant_id = {tenant_id:String} AND opportunity_id = {opportunity_id:String} "
        "AND deleted = 0 ORDER BY created_at, evidence_id",
        {"tenant_id": tenant_id, "opportunity_id": opportunity_id},
    )
    return [StageEvidence(**r) for r in rows]


def evidence_kinds(
    ch: ClickHouse, tenant_id: str, keys: Sequence[str] | None, as_of: datetime
) -> dict[str, frozenset[str]]:
    """The kinds of evidence each opportunity (None: every one of the tenant's) had by
    `as_of`."""
    if keys is not None and not keys:
        return {}
    where = "1" if keys is None else (
        "opportunity_id IN (SELECT arrayJoin(splitByChar(',', {keys:String})))"
    )  # fmt: skip
    rows = ch.query(
        "SELECT opportunity_id, groupUniqArray(kind) AS kinds "
        f"FROM {ch.database}.opportunity_evidence FINAL "
        f"WHERE tenant_id = {{tenant_id:String}} AND deleted = 0 AND {where} "
        "AND created_at <= fromUnixTimestamp64Milli({as_of_ms:Int64}, 'UTC') "
        "GROUP BY opportunity_id",
        {"tenant_id": tenant_id, "keys": ",".join(keys or ()),
         "as_of_ms": int(as_of.timestamp() * 1000)},
    )  # fmt: skip
    found: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        found[r["opportunity_id"]].update(r["kinds"])
    return {k: frozenset(v) for k, v in found.items()}
