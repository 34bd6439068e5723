"""`dealsignal demo` against the real app on uvicorn (127.0.0.1), writer in-process."""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal

import pytest
import redis
from rich.console import Console

from api.app import create_app
from api.cli.demo.flow import run_demo
from api.cli.demo.proposal import PRICING_PAGE
from tests.e2e.support import ThreadedServer
from tracker.api_keys import create_api_key
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse
from tracker.tenants import create_tenant
from tracker.types import Scope


@pytest.fixture
def server(settings: Settings, clickhouse: ClickHouse, redis_url: str) -> Iterator[str]:
    settings.ingest.batch_seconds = 0.2
    settings.webhooks.allow_private = ["127.0.0.1/32"]  # the demo's local WeCom robot
    # The demo replays minutes of reading in seconds, as `make run` allows (Makefile).
    settings.ingest.dwell_clock_slack_seconds = 86_400
    client = redis.Redis.from_url(redis_url)
    client.flushdb()  # no stream entries of earlier tests for this writer
    client.close()
    running = ThreadedServer(create_app(settings, run_background=True))
    settings.public_base_url = running.url
    running.start()
    try:
        yield running.url
    finally:
        running.stop()


async def test_demo_replays_a_deal_over_http(server: str, clickhouse: ClickHouse) -> None:
    tenant = create_tenant(clickhouse, "demo")
    _, admin = create_api_key(clickhouse, tenant.tenant_id, Scope.ADMIN)
    out = io.StringIO()
    summary = await run_demo(
        server, admin, progress=False, console=Console(file=out, width=160), timeout=30
    )
    assert [r.name for r in summary.recipients] == ["王总", "李娜", "陈静"]
    cto, procurement, cfo = summary.recipients
    for person in summary.recipients:
        assert person.views >= 1 and person.dwell_ms > 0 and person.pages
    # more time on pricing than anywhere else for the buyer who cares about price
    assert max(procurement.pages, key=procurement.pages.__getitem__) == PRICING_PAGE
    assert cto.pages[PRICING_PAGE] >= 150_000 and cto.downloads == 1
    assert cto.forwarded_viewers == 1 and summary.forwarded_viewers == 1 and cto.views == 2
    assert cfo.forwarded_viewers == 0 and procurement.downloads == 0
    assert summary.bot_events >= 1 and summary.bot_reasons.get("bot_user_agent", 0) >= 1
    # the unfurl is not a view: four human sessions, four views
    assert sum(r.views for r in summary.recipients) == 4
    # 预测可信度指数: the demo deal below 60 is discounted × 0.7, the lively one is not
    assert summary.forecast is not None
    demo, lively = summary.forecast.forecasts
    assert Decimal(demo["credibility_index"]) == Decimal("46.7") and demo["haircut_applied"]
    assert demo["stage_verified"]  # its signed NDA was uploaded as stage evidence
    assert Decimal(demo["adjusted_forecast"]) == Decimal(demo["crm_forecast"]) * Decimal("0.7")
    assert Decimal(demo["crm_forecast"]) == Decimal("348000")  # 696 000 × 0.5
    assert Decimal(lively["credibility_index"]) == Decimal("86.7")
    assert not lively["haircut_applied"]
    assert lively["adjusted_forecast"] == lively["crm_forecast"]
    printed = out.getvalue()
    assert "Forecast credibility index" in printed and "243,600.00 (× 0.7)" in printed
    score = summary.engagement["score"]
    assert 0 < score["value"] <= 100 and score["band"] in {"hot", "warm", "cold"}
    assert score["top_positive"]
    text = out.getvalue()
    assert "王总" in text and "Engagement" in text and "bot_user_agent" in text
    # the stalled deal: one WeCom markdown message to the local robot, one manager to-do
    stall = summary.stall
    assert stall is not None and not stall.skipped
    assert len(stall.wecom_messages) == 1
    message = stall.wecom_messages[0]
    assert message["msgtype"] == "markdown" and "远航物流集团" in message["markdown"]["content"]
    assert [t["manager"] for t in stall.todos] == ["li.jingli@dealsignal-demo.example.cn"]
    assert "Manager to-do" in text


async def test_a_rerun_within_a_jobs_cooldown_waits_it_out() -> None:
    """The second `dealsignal demo` within 30 s met the stall job's cooldown (429) and
    crashed; `run_job` waits for the answer's Retry-After and tries again."""
    import httpx

    from api.cli.demo.stall import run_job

    answers = iter([httpx.Response(429, headers={"Retry-After": "1"}), httpx.Response(200)])
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return next(answers)

    transport = httpx.MockTransport(handler)
    async with httpx.AsyncClient(transport=transport, base_url="http://demo") as http:
        await run_job(http, "stalls", {})
    assert calls == ["/api/v1/jobs/stalls/run"] * 2
