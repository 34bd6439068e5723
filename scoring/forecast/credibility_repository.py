"""The rows behind the credibility index (`scoring.forecast.credibility`), for many
opportunities at once, in the window (as_of − window_days, as_of]: an activity exactly
window_days old is out, one a millisecond younger is in.

    contacts    inbound (customer-initiated) meetings, emails and calls
    meetings    meetings not marked `held: false`, with their attendees
                (both, and crm_revs, from one scan of the window's activities)
    dms         the opportunities' current decision-maker contacts
    versions    new versions (revision ≥ 2) of documents that belong to the opportunity
                (the document names it, or one of its links does)
    crm_revs    `proposal_revision` activities the CRM reported
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from scoring.forecast.credibility import CredibilityRaw, Proof
from tracker.crm import COMMUNICATION_TYPES, ActivityType, Direction
from tracker.stores import ClickHouse

__all__ = ["fetch_credibility"]

_KEYS = "(SELECT arrayJoin(splitByChar(',', {keys:String})))"
_WINDOW = (
    "COL > fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') "
    "AND COL <= fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')"
)
_COMMUNICATION = ", ".join(f"'{t.value}'" for t in sorted(COMMUNICATION_TYPES))


def _filter(keys: Sequence[str] | None) -> str:
    return "1" if keys is None else f"opportunity_id IN {_KEYS}"


def _queries(ch: ClickHouse, keys: Sequence[str] | None) -> dict[str, str]:
    db, where = ch.database, _filter(keys)
    acts = f"FROM {db}.activities FINAL WHERE tenant_id = {{tenant_id:String}} AND {where} AND "
    occurred = _WINDOW.replace("COL", "occurred_at")
    belongs = (
        "SELECT DISTINCT opportunity_id AS k, document_id FROM ("
        f"SELECT opportunity_id, document_id FROM {db}.documents FINAL "
        "WHERE tenant_id = {tenant_id:String} AND deleted = 0 AND opportunity_id != '' "
        f"UNION ALL SELECT opportunity_id, document_id FROM {db}.links FINAL "
        "WHERE tenant_id = {tenant_id:String} AND opportunity_id != '') "
        f"WHERE {where}"
    )
    # one scan of the window's activities; each row says which of the three lists it is in
    contact = (
        f"(direction = '{Direction.INBOUND.value}' OR customer_initiated = 1) "
        f"AND activity_type IN ({_COMMUNICATION})"
    )
    meeting = f"activity_type = '{ActivityType.MEETING.value}' AND ifNull(held, 1) = 1"
    revision = f"activity_type = '{ActivityType.PROPOSAL_REVISION.value}'"
    return {
        "activities": "SELECT opportunity_id AS k, activity_id, activity_type, occurred_at, "
        f"subject, attendees, {contact} AS is_contact, {meeting} AS is_meeting, "
        f"{revision} AS is_revision "
        + acts
        + f"({contact} OR {meeting} OR {revision}) AND {occurred} "
        "ORDER BY k, occurred_at DESC, activity_id",
        "dms": f"SELECT opportunity_id AS k, contact_id, name FROM {db}.contacts FINAL "
        "WHERE tenant_id = {tenant_id:String} AND is_decision_maker = 1 "
        "AND (opportunity_id, version) IN (SELECT opportunity_id, version "
        f"FROM {db}.opportunities FINAL WHERE tenant_id = {{tenant_id:String}} AND {where})",
        "versions": "SELECT o.k AS k, v.version_id AS version_id, v.revision AS revision, "
        "v.created_at AS created_at, v.filename AS filename, d.title AS title "
        f"FROM {db}.document_versions AS v FINAL INNER JOIN ({belongs}) AS o "
        "ON o.document_id = v.document_id "
        f"LEFT JOIN (SELECT document_id, title FROM {db}.documents FINAL "
        "WHERE tenant_id = {tenant_id:String}) AS d ON d.document_id = v.document_id "
        f"WHERE v.tenant_id = {{tenant_id:String}} AND v.revision > 1 AND "
        + _WINDOW.replace("COL", "v.created_at")
        + " ORDER BY k, created_at DESC, version_id",
    }


def _activity(r: dict[str, Any], kind: str | None = None, dms: list[str] | None = None) -> Proof:
    return Proof(
        kind="activity",
        id=r["activity_id"],
        type=kind or r["activity_type"],
        at=r["occurred_at"],
        label=r["subject"] or "",
        decision_makers=dms or [],
    )


def fetch_credibility(
    ch: ClickHouse,
    tenant_id: str,
    keys: Sequence[str] | None,
    as_of: datetime,
    window_days: int,
) -> dict[str, CredibilityRaw]:
    """Per opportunity id (None: the tenant's every one) the window's contacts, held meetings
    (each with its decision-makers) and revisions; reading is added by the caller."""
    if keys is not None and not keys:
        return {}
    params = {
        "tenant_id": tenant_id,
        "keys": ",".join(keys or ()),
        "to_ms": int(as_of.timestamp() * 1000),
        "from_ms": int((as_of - timedelta(days=window_days)).timestamp() * 1000),
    }
    rows = {name: ch.query(sql, params) for name, sql in _queries(ch, keys).items()}
    for name, flag in (("contacts", "is_contact"), ("meetings", "is_meeting"),
                       ("crm_revs", "is_revision")):  # fmt: skip
        rows[name] = [r for r in rows["activities"] if r[flag]]
    dms: dict[str, dict[str, str]] = defaultdict(dict)
    for r in rows["dms"]:
        dms[r["k"]][r["contact_id"]] = r["name"] or r["contact_id"]
    found: dict[str, dict[str, list[Proof]]] = defaultdict(lambda: defaultdict(list))
    for r in rows["contacts"]:
        found[r["k"]]["contacts"].append(_activity(r))
    for r in rows["meetings"]:
        names = [dms[r["k"]][a] for a in r["attendees"] if a in dms[r["k"]]]
        found[r["k"]]["meetings"].append(_activity(r, ActivityType.MEETING.value, names))
    for r in rows["versions"]:
        label = f"{r['title'] or r['filename']} v{r['revision']}"
        found[r["k"]]["revisions"].append(
            Proof(
                kind="document_version",
                id=r["version_id"],
                type="document_version",
                at=r["created_at"],
                label=label,
            )
        )
    for r in rows["crm_revs"]:
        found[r["k"]]["revisions"].append(_activity(r, ActivityType.PROPOSAL_REVISION.value))
    return {
        k: CredibilityRaw(
            contacts=tuple(v["contacts"]),
            held_meetings=tuple(v["meetings"]),
            revisions=tuple(sorted(v["revisions"], key=lambda p: (p.at, p.id), reverse=True)),
        )
        for k, v in found.items()
    }
