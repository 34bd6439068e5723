"""The synthetic accounts: finance and tickets follow hidden quality, and the brief's customer
health computed on them separates won from lost deals (its AUC, printed)."""

from __future__ import annotations

from datetime import date

from sklearn.metrics import roc_auc_score

from scoring.accounts import assess_accounts
from scoring.synthetic.dataset import generate, load
from tracker.crm import list_accounts
from tracker.scoring_settings import AccountHealthSettings
from tracker.stores.clickhouse import ClickHouse


def test_account_health_on_synthetic_deals_separates_won_from_lost(
    clickhouse: ClickHouse,
) -> None:
    ds = generate(400, seed=11, start=date(2025, 1, 1), days=365, tenants=1)
    finance = ds.tables["account_finance"].to_pylist()
    assert len(finance) == ds.tables["accounts"].num_rows > 300  # names rarely repeat
    load(clickhouse, ds)
    tenant = ds.tenant_ids[0]
    accounts = list_accounts(clickhouse, tenant, limit=1000)
    health = {h.account_id: h for h in assess_accounts(
        clickhouse, tenant, accounts, ds.end, AccountHealthSettings())}  # fmt: skip
    opps = ds.tables["opportunities"].to_pylist()
    account_of = {o["opportunity_id"]: o["account"] for o in opps}
    truth = [r for r in ds.truth.to_pylist() if r["closed"]]
    scored = [(health[account_of[r["opportunity_id"]]], r["won"]) for r in truth]
    judged = [(h.value, won) for h, won in scored if h.value is not None]
    assert len(judged) > 0.8 * len(scored)
    auc = roc_auc_score([won for _, won in judged], [v for v, _ in judged])
    print(f"customer health alone, {len(judged)} closed synthetic deals: AUC {auc:.3f}")
    assert auc > 0.6
    tickets = [a for a in ds.tables["activities"].to_pylist()
               if a["activity_type"] == "service_request"]  # fmt: skip
    assert tickets and all(t["opportunity_id"] in account_of for t in tickets)
