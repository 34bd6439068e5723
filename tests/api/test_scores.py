"""CRM pull: engagement (cached per epoch), the bulk score sync, the timeline."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pyarrow as pa
import redis.asyncio as aioredis
from fastapi.testclient import TestClient

from scoring import TenantScoringCache, make_epoch_listener, warm_scores
from tests.api.conftest import bearer, make_key
from tests.scoring.support import Events, LinkRef, add_document, add_link
from tracker.config import Settings
from tracker.crm.activities import Activity, record_activities
from tracker.crm.opportunities import Contact, Opportunity, upsert_opportunities
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope

FULL = {1: 60_000, 2: 60_000, 3: 30_000}


def bump(table: pa.Table, redis_url: str) -> None:
    """What the writer does after inserting a batch: run the epoch listener."""

    async def go() -> None:
        redis = aioredis.Redis.from_url(redis_url)
        await make_epoch_listener(redis)(table)
        await redis.aclose()

    asyncio.run(go())


def opportunity(opp_id: str, **kw: object) -> Opportunity:
    fields: dict[str, object] = {
        "opportunity_id": opp_id, "account": "华为技术", "amount": Decimal(1000),
        "currency": "CNY", "stage": "proposal", "probability": 30,
        "forecast_category": "pipeline", "owner": "rep@seller.example",
        "updated_at": datetime(2025, 1, 1, tzinfo=UTC),
    }  # fmt: skip
    fields.update(kw)
    return Opportunity(**fields)  # type: ignore[arg-type]


def deal(ch: ClickHouse, tenant: str, opp_id: str = "opp-1") -> LinkRef:
    upsert_opportunities(ch, tenant, [opportunity(opp_id, contacts=(
        Contact("c-wang", "王总", "wang@huawei.example", "CTO", is_decision_maker=True),
    ))])  # fmt: skip
    add_document(ch, tenant, f"doc-{opp_id}", f"ver-{opp_id}", title="报价单",
                 page_words=(238, 238, 119), page_tags=((), (), ("pricing",)))  # fmt: skip
    return add_link(ch, tenant, f"lnk-{opp_id}", f"doc-{opp_id}", f"ver-{opp_id}", opp_id,
                    contact_id="c-wang", name="王总")  # fmt: skip


def now() -> datetime:
    return datetime.now(UTC)


def _cache_count(client: TestClient, outcome: str) -> float:
    found = re.search(
        rf'^dealsignal_score_cache_total{{outcome="{outcome}"}} ([0-9.e+]+)$',
        client.get("/metrics").text,
        re.MULTILINE,
    )
    return float(found.group(1)) if found else 0.0


def test_engagement_is_cached_until_a_new_event_arrives(
    client: TestClient, clickhouse: ClickHouse, redis_url: str
) -> None:
    tenant, key = make_key(clickhouse, "华南区", Scope.CRM)
    link = deal(clickhouse, tenant)
    events = Events()
    events.read(link, now() - timedelta(hours=2), {1: 60_000})
    bump(events.insert(clickhouse), redis_url)
    url = "/api/v1/opportunities/opp-1/engagement"
    counted = {o: _cache_count(client, o) for o in ("hit", "miss")}
    first = client.get(url, headers=bearer(key))
    assert first.status_code == 200, first.text
    assert first.headers["x-score-cache"] == "miss"
    body = first.json()
    assert 0 < body["score"]["value"] < 100 and body["score"]["band"] in {"hot", "warm", "cold"}
    assert body["score"]["model_version"] == "engagement-1.0"
    assert body["recipients"][0]["label"] == "王总"
    assert body["documents"][0]["label"] == "报价单 (v1)"
    assert any("王总" in f["summary"] for f in body["score"]["top_positive"])
    second = client.get(url, headers=bearer(key))
    assert second.headers["x-score-cache"] == "hit" and second.json() == body
    events.read(link, now() - timedelta(minutes=5), FULL, viewer="vwr-2", forwarded=True)
    bump(events.insert(clickhouse), redis_url)
    third = client.get(url, headers=bearer(key))
    assert third.headers["x-score-cache"] == "miss"
    assert _cache_count(client, "hit") == counted["hit"] + 1  # /metrics counts the outcomes
    assert _cache_count(client, "miss") == counted["miss"] + 2
    assert third.json()["score"]["value"] > body["score"]["value"]
    assert len(third.json()["score"]["people"]) == 2


def warm(
    clickhouse: ClickHouse, redis_url: str, settings: Settings, delay: float, budget: float = 60
) -> object:
    """One run of the score warmer (the `score-warm` job) with the given delay and budget."""
    tuning = settings.scoring.merged({"warm": {"delay_seconds": delay, "budget_seconds": budget}})

    async def go() -> tuple[int, int]:
        redis = aioredis.Redis.from_url(redis_url)
        try:
            return await warm_scores(
                clickhouse, redis, tuning.warm, TenantScoringCache(settings.scoring)
            )
        finally:
            await redis.aclose()

    return asyncio.run(go())


def test_the_warmer_recomputes_changed_scores_before_the_crm_asks(
    client: TestClient, clickhouse: ClickHouse, redis_url: str, settings: Settings
) -> None:
    tenant, key = make_key(clickhouse, "华南区", Scope.CRM)
    link = deal(clickhouse, tenant)
    events = Events()
    events.read(link, now() - timedelta(hours=2), {1: 60_000})
    bump(events.insert(clickhouse), redis_url)
    assert warm(clickhouse, redis_url, settings, delay=3600) == (0, 0)  # not dirty long enough
    # Rescored for the bulk pull; the detail waits until someone pulls it one by one.
    assert warm(clickhouse, redis_url, settings, delay=0) == (1, 0)
    assert warm(clickhouse, redis_url, settings, delay=0) == (0, 0)  # taken: nothing left
    page = client.get("/api/v1/scores", headers=bearer(key)).json()
    assert [i["opportunity_id"] for i in page["items"]] == ["opp-1"]
    url = "/api/v1/opportunities/opp-1/engagement"
    first = client.get(url, headers=bearer(key))
    assert first.headers["x-score-cache"] == "miss"
    assert (page["items"][0]["value"], page["items"][0]["band"]) == (
        first.json()["score"]["value"],
        first.json()["score"]["band"],
    )
    # A new reader bumps the epoch; the detail is watched now, so the warmer redoes it.
    events.read(link, now() - timedelta(minutes=5), FULL, viewer="vwr-2", forwarded=True)
    bump(events.insert(clickhouse), redis_url)
    assert warm(clickhouse, redis_url, settings, delay=0) == (1, 1)
    again = client.get(url, headers=bearer(key))
    assert again.headers["x-score-cache"] == "hit"
    assert len(again.json()["score"]["people"]) == 2
    # Out of time budget: the detail is left for the next run, not dropped.
    events.read(link, now() - timedelta(minutes=1), {2: 30_000})
    bump(events.insert(clickhouse), redis_url)
    assert warm(clickhouse, redis_url, settings, delay=0, budget=0) == (1, 0)
    assert warm(clickhouse, redis_url, settings, delay=0) == (1, 1)
    _, other_key = make_key(clickhouse, "华北区", Scope.CRM)
    missing = client.get(url, headers=bearer(other_key))
    assert missing.status_code == 404  # warmed entries are the tenant's own


def test_engagement_and_timeline_tenant_isolation_and_scopes(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    tenant, crm_key = make_key(clickhouse, "华南区", Scope.CRM)
    _, other_key = make_key(clickhouse, "华北区", Scope.CRM)
    _, admin_key = make_key(clickhouse, "管理", Scope.ADMIN)
    _, reps_key = make_key(clickhouse, "销售", Scope.REPS)
    deal(clickhouse, tenant)
    for path in ("engagement", "timeline"):
        url = f"/api/v1/opportunities/opp-1/{path}"
        assert client.get(url, headers=bearer(crm_key)).status_code == 200
        assert client.get(url, headers=bearer(reps_key)).status_code == 404  # its own tenant
        other = client.get(url, headers=bearer(other_key))
        assert other.status_code == 404
        assert other.json()["error"]["code"] == "opportunity_not_found"
        assert client.get(url, headers=bearer(admin_key)).status_code == 404
        missing = client.get(f"/api/v1/opportunities/nope/{path}", headers=bearer(crm_key))
        assert missing.status_code == 404
    # a cached score of tenant A is never served to tenant B
    cached = client.get("/api/v1/opportunities/opp-1/engagement", headers=bearer(crm_key))
    assert cached.headers["x-score-cache"] == "hit"
    foreign = client.get("/api/v1/opportunities/opp-1/engagement", headers=bearer(other_key))
    assert foreign.status_code == 404
    assert client.get("/api/v1/scores", headers=bearer(other_key)).json()["items"] == []
    assert client.get("/api/v1/scores", headers=bearer(reps_key)).status_code == 403


def test_timeline_tells_who_read_what(client: TestClient, clickhouse: ClickHouse) -> None:
    tenant, key = make_key(clickhouse, "华南区", Scope.REPS)
    link = deal(clickhouse, tenant)
    events = Events()
    start = now() - timedelta(days=1)
    events.read(link, start, {1: 40_000, 2: 1_000, 3: 25_000})
    events.read(link, start + timedelta(hours=3), {1: 5_000}, viewer="vwr-9", forwarded=True)
    events.read(link, start + timedelta(hours=4), {3: 12_000}, bot=True, viewer="bot")
    events.add(link, "download", start + timedelta(hours=1), viewer="vwr_1")
    events.insert(clickhouse)
    record_activities(clickhouse, tenant, [
        Activity("m-1", "opp-1", "meeting", start - timedelta(days=1), attendees=("c-wang",),
                 subject="方案评审"),
    ])  # fmt: skip
    response = client.get("/api/v1/opportunities/opp-1/timeline", headers=bearer(key))
    assert response.status_code == 200, response.text
    items = response.json()["items"]
    assert [i["kind"] for i in items] == ["visit", "download", "visit", "activity"]
    forwarded, download, visit, meeting = items
    assert forwarded["person"]["forwarded"] and "王总" in forwarded["person"]["name"]
    assert visit["person"]["name"] == "王总"
    assert visit["visit"]["active_seconds"] == 66.0
    pages = {p["page"]: p for p in visit["visit"]["pages"]}
    assert pages[2]["glance"] and not pages[1]["glance"]
    assert pages[3]["tags"] == ["pricing"]
    assert visit["summary"].startswith("王总 read 报价单 (v1) for 1 min 6 s: pages 1, 3")
    assert download["summary"] == "王总 downloaded 报价单 (v1)"
    assert meeting["summary"] == "Meeting: 方案评审 with 王总"


def test_bulk_pull_pages_10k_opportunities_without_duplicates_or_gaps(
    client: TestClient, clickhouse: ClickHouse, settings: Settings
) -> None:
    tenant, key = make_key(clickhouse, "华南区", Scope.CRM)
    ids = [f"opp-{i:05d}" for i in range(10_000)]
    upsert_opportunities(clickhouse, tenant, [opportunity(o) for o in ids])  # one insert
    links = [deal(clickhouse, tenant, ids[i]) for i in (3, 2500, 7777)]
    events = Events()
    for link in links:
        events.read(link, now() - timedelta(hours=1), FULL)
    events.insert(clickhouse)
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    late = deal(clickhouse, tenant, "opp-09999")  # ahead of every cursor until the end
    while True:
        params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/scores", params=params, headers=bearer(key))
        assert page.status_code == 200, page.text
        body = page.json()
        seen += [item["opportunity_id"] for item in body["items"]]
        pages += 1
        # between pages: events on opportunities behind and ahead of the cursor, updates,
        # and a brand-new opportunity
        events.read(links[pages % 3], now(), {1: 3_000})
        events.read(late, now(), {2: 3_000})
        events.insert(clickhouse)
        upsert_opportunities(clickhouse, tenant, [
            opportunity(seen[-1], stage="negotiation", updated_at=now()),
            opportunity(f"opp-new-{pages}", updated_at=now()),
        ])  # fmt: skip
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)), "duplicates"
    assert set(ids) <= set(seen), "gaps"
    assert seen == sorted(seen)
    scored = client.get("/api/v1/scores", params={"limit": 5, "cursor": None},
                        headers=bearer(key)).json()["items"]  # fmt: skip
    assert [i["opportunity_id"] for i in scored][:4] == ids[:4]
    assert scored[3]["value"] > 0 and scored[0]["value"] == 0
    assert scored[0]["sufficiency"]["level"] == "none"


def test_incremental_sync_and_bad_cursors(
    client: TestClient, clickhouse: ClickHouse, settings: Settings
) -> None:
    settings.scoring.engagement.sync_overlap_seconds = 0
    tenant, key = make_key(clickhouse, "华南区", Scope.CRM)
    link_a, _ = deal(clickhouse, tenant, "opp-a"), deal(clickhouse, tenant, "opp-b")
    first = client.get("/api/v1/scores", headers=bearer(key)).json()
    assert [i["opportunity_id"] for i in first["items"]] == ["opp-a", "opp-b"]
    assert first["next_cursor"] is None
    time.sleep(0.01)
    events = Events()
    events.read(link_a, now(), {1: 5_000})
    events.insert(clickhouse)
    record_activities(clickhouse, tenant, [Activity("n-1", "opp-c", "note", now())])
    since = {"updated_since": first["watermark"]}
    changed = client.get("/api/v1/scores", params=since, headers=bearer(key)).json()
    assert [i["opportunity_id"] for i in changed["items"]] == ["opp-a"]  # opp-c: no opportunity
    for bad in ("nope", "eyJhIjogMX0", "!!!"):
        response = client.get("/api/v1/scores", params={"cursor": bad}, headers=bearer(key))
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_cursor"
    naive = client.get("/api/v1/scores", params={"updated_since": "2025-01-01T00:00:00"},
                       headers=bearer(key))  # fmt: skip
    assert naive.status_code == 422
    assert client.get("/api/v1/scores", params={"limit": 0}, headers=bearer(key)).status_code == 422


def test_small_pages_walk_the_same_set(client: TestClient, clickhouse: ClickHouse) -> None:
    limit = 2
    tenant, key = make_key(clickhouse, "华南区", Scope.CRM)
    upsert_opportunities(clickhouse, tenant, [opportunity(f"o{i}") for i in range(5)])
    add_link(clickhouse, tenant, "lnk-x", "doc-x", "ver-x", "o-links-only")
    seen, cursor = [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/scores", params=params, headers=bearer(key)).json()
        seen += [i["opportunity_id"] for i in body["items"]]
        if (cursor := body["next_cursor"]) is None:
            break
    assert seen == ["o-links-only", "o0", "o1", "o2", "o3", "o4"]


def test_every_score_route_scores_with_the_tenants_own_settings(
    client: TestClient, clickhouse: ClickHouse, redis_url: str
) -> None:
    """Tenant overrides apply to the engagement detail and the bulk sync alike (both used to
    score with the deployment's defaults while /health used the tenant's), the cache never
    serves a score computed under the old settings, and another tenant is unaffected."""
    tenant, admin = make_key(clickhouse, "华南区", Scope.ADMIN)
    other, other_admin = make_key(clickhouse, "华北区", Scope.ADMIN)
    for t in (tenant, other):
        events = Events()
        events.read(deal(clickhouse, t), now() - timedelta(hours=2), {1: 60_000})
        bump(events.insert(clickhouse), redis_url)
    url = "/api/v1/opportunities/opp-1/engagement"
    before = client.get(url, headers=bearer(admin)).json()["score"]
    assert before["band"] != "hot"  # cached now, under the defaults
    everything_hot = {"engagement": {"hot_threshold": 0.0, "warm_threshold": 0.0}}
    put = client.put("/api/v1/settings/scoring", headers=bearer(admin), json=everything_hot)
    assert put.status_code == 200, put.text
    detail = client.get(url, headers=bearer(admin))
    assert detail.headers["x-score-cache"] == "miss"  # new settings, new cache entry
    assert detail.json()["score"]["band"] == "hot"
    assert detail.json()["score"]["value"] == before["value"]  # same data, other bands
    swept = client.get("/api/v1/scores", headers=bearer(admin)).json()["items"]
    assert [(i["opportunity_id"], i["band"]) for i in swept] == [("opp-1", "hot")]
    untouched = client.get(url, headers=bearer(other_admin)).json()["score"]
    assert untouched["band"] == before["band"]
