"""Strict stage gating at the CRM push: an opportunity may not move into (or be created at) a
stage whose required evidence (`tracker.stages`) it lacks — 409 `stage_evidence_missing`, and
nothing of the batch is written. Re-sending an opportunity at the stage it already has is
never refused, so turning strict mode on does not block updates of deals already there."""

from __future__ import annotations

from collections.abc import Sequence

from tracker.clock import utcnow
from tracker.crm.evidence import evidence_kinds
from tracker.crm.opportunities import Opportunity
from tracker.crm.stages import StageSettings, check_stage
from tracker.errors import Conflict
from tracker.stores.clickhouse import ClickHouse

__all__ = ["current_stages", "refuse_unverified_stages"]


def current_stages(ch: ClickHouse, tenant_id: str, ids: Sequence[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = ch.query(
        f"SELECT opportunity_id, stage FROM {ch.database}.opportunities FINAL "
        "WHERE tenant_id = {tenant_id:String} AND deleted = 0 AND opportunity_id IN "
        "(SELECT arrayJoin(splitByChar(',', {keys:String})))",
        {"tenant_id": tenant_id, "keys": ",".join(ids)},
    )
    return {r["opportunity_id"]: r["stage"] for r in rows}


def refuse_unverified_stages(
    ch: ClickHouse, tenant_id: str, items: Sequence[Opportunity], settings: StageSettings
) -> None:
    if not settings.strict or not items:
        return
    ids = [o.opportunity_id for o in items]
    stored = current_stages(ch, tenant_id, ids)
    moving = [o for o in items if stored.get(o.opportunity_id) != o.stage]
    if not moving:
        return
    have = evidence_kinds(ch, tenant_id, [o.opportunity_id for o in moving], utcnow())
    for o in moving:
        check = check_stage(settings, o.stage, have.get(o.opportunity_id, frozenset()))
        if not check.verified:
            raise Conflict(
                f"stage {o.stage} needs evidence first: {', '.join(check.missing)}",
                code="stage_evidence_missing",
                opportunity_id=o.opportunity_id,
                stage=o.stage,
                missing=list(check.missing),
            )
