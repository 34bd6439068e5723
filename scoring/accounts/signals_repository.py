"""The measures behind an account's pillars, as of a moment, from ClickHouse: the account's
opportunities (`opportunities.account` = the account id), their CRM activities (meetings
with `held`, activities a KOL attended, `service_request` tickets) and the KOLs' own document
visits (human events, not forwards), plus the account's newest finance record.

Three queries for any number of accounts; every one scoped by tenant."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from scoring.accounts.pillars import AccountSignals
from tracker.crm import Account, latest_finance
from tracker.reading import HUMAN
from tracker.scoring_settings import AccountHealthSettings
from tracker.stores import ClickHouse

__all__ = ["account_signals"]

_SCOPE = (
    "SELECT opportunity_id, account FROM {db}.opportunities FINAL "
    "WHERE tenant_id = {{tenant_id:String}} AND deleted = 0 "
    "AND has(splitByChar(',', {{ids:String}}), account)"
)
_KOLS = (
    "SELECT account_id, kol_contact_ids FROM {db}.accounts FINAL "
    "WHERE tenant_id = {{tenant_id:String}} AND has(splitByChar(',', {{ids:String}}), account_id)"
)
# Moments are bound as epoch milliseconds (chDB parses no timezone-aware DateTime64 text).
_AS_OF = "fromUnixTimestamp64Milli({as_of:Int64}, 'UTC')"
_MEET_FROM = "fromUnixTimestamp64Milli({meet_from:Int64}, 'UTC')"
_KOL_FROM = "fromUnixTimestamp64Milli({kol_from:Int64}, 'UTC')"
_RECENT_FROM = "fromUnixTimestamp64Milli({recent_from:Int64}, 'UTC')"
_BASE_FROM = "fromUnixTimestamp64Milli({base_from:Int64}, 'UTC')"
# Activities that are not an interaction with the customer's people.
_NOT_CONTACT = "('service_request', 'stage_change', 'close_date_change', 'proposal_revision')"


def _activity_sql(db: str) -> str:
    at = "a.occurred_at"
    ticket = "a.activity_type = 'service_request'"
    return (
        "SELECT o.account AS account_id, uniqExact(o.opportunity_id) AS opportunities, "
        "countIf(a.activity_type = 'meeting' AND a.held IS NOT NULL "
        f"  AND {at} > {_MEET_FROM} AND {at} <= {_AS_OF}) "
        "  AS meetings_decided, "
        "countIf(a.activity_type = 'meeting' AND a.held = 1 "
        f"  AND {at} > {_MEET_FROM} AND {at} <= {_AS_OF}) "
        "  AS meetings_held, "
        f"countIf(a.activity_type NOT IN {_NOT_CONTACT} AND hasAny(a.attendees, k.kol_contact_ids) "
        f"  AND {at} > {_KOL_FROM} AND {at} <= {_AS_OF}) "
        "  AS kol_activities, "
        f"countIf({ticket} AND {at} > {_RECENT_FROM} "
        f"  AND {at} <= {_AS_OF}) AS tickets_recent, "
        f"countIf({ticket} AND {at} > {_BASE_FROM} "
        f"  AND {at} <= {_RECENT_FROM}) AS tickets_baseline, "
        f"countIf({ticket} AND {at} <= {_AS_OF}) AS tickets_ever "
        f"FROM ({_SCOPE.format(db=db)}) AS o "
        f"INNER JOIN ({_KOLS.format(db=db)}) AS k ON k.account_id = o.account "
        f"LEFT JOIN (SELECT * FROM {db}.activities FINAL "
        "  WHERE tenant_id = {tenant_id:String}) AS a ON a.opportunity_id = o.opportunity_id "
        "GROUP BY o.account"
    )


def _visit_sql(db: str) -> str:
    return (
        "SELECT o.account AS account_id, uniqExact(e.visit_id) AS kol_visits "
        f"FROM {db}.events AS e "
        f"INNER JOIN ({_SCOPE.format(db=db)}) AS o ON o.opportunity_id = e.opportunity_id "
        f"INNER JOIN ({_KOLS.format(db=db)}) AS k ON k.account_id = o.account "
        f"WHERE e.tenant_id = {{tenant_id:String}} AND e.{HUMAN} AND e.forwarded = 0 "
        "AND e.contact_id != '' AND has(k.kol_contact_ids, e.contact_id) "
        f"AND e.received_at > {_KOL_FROM} AND e.received_at <= {_AS_OF} "
        "GROUP BY o.account"
    )


def account_signals(
    ch: ClickHouse,
    tenant_id: str,
    accounts: Sequence[Account],
    as_of: datetime,
    t: AccountHealthSettings,
) -> list[AccountSignals]:
    if not accounts:
        return []
    ids = [a.account_id for a in accounts]
    recent_from = as_of - timedelta(days=t.ticket_window_days)
    moments = {
        "as_of": as_of,
        "meet_from": as_of - timedelta(days=t.attendance_window_days),
        "kol_from": as_of - timedelta(days=t.kol_window_days),
        "recent_from": recent_from,
        "base_from": recent_from - timedelta(days=t.ticket_baseline_days),
    }
    params: dict[str, Any] = {
        "tenant_id": tenant_id,
        "ids": ",".join(ids),  # CRM ids never contain commas
        **{k: int(v.timestamp() * 1000) for k, v in moments.items()},
    }
    acts = {r["account_id"]: r for r in ch.query(_activity_sql(ch.database), params)}
    visits = {r["account_id"]: r for r in ch.query(_visit_sql(ch.database), params)}
    finance = latest_finance(ch, tenant_id, ids)
    found = []
    for account in accounts:
        r = acts.get(account.account_id, {})
        found.append(
            AccountSignals(
                account=account,
                as_of=as_of,
                finance=finance.get(account.account_id),
                opportunities=int(r.get("opportunities", 0)),
                meetings_decided=int(r.get("meetings_decided", 0)),
                meetings_held=int(r.get("meetings_held", 0)),
                kol_activities=int(r.get("kol_activities", 0)),
                kol_visits=int(visits.get(account.account_id, {}).get("kol_visits", 0)),
                tickets_recent=int(r.get("tickets_recent", 0)),
                tickets_baseline=int(r.get("tickets_baseline", 0)),
                tickets_ever=int(r.get("tickets_ever", 0)),
            )
        )
    return found
