"""Page images rendered in the background after links are made (issue 17: the buyer's first
open is a cache hit): every page of a link at the viewer's widths is served by the ASGI
front's by-link pointer once the pool has drained; a revoked, erased or superseded link's
jobs are skipped; a job a crashed worker left pending is done by another; a job that keeps
failing is dropped after `max_claims` claims; a new revision queues its live links."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

import api.prerender.pool as pool_module
import api.recipient.routes as recipient_routes
from api.copies import served_page_image
from api.prerender import RenderJob, RenderPool
from api.services import Services
from tests.api.conftest import bearer, make_key
from tests.pdfs import proposal
from tracker import redis_keys
from tracker.config import RenderSettings
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope

EMAIL = "李采购@buyer.example"
PAGES = 3


def _services(client: TestClient) -> Services:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    return services


def _drain(client: TestClient, settings: RenderSettings | None = None) -> int:
    """Run the pool until nothing is left to read or claim (in the app's event loop)."""
    pool = RenderPool(_services(client), "test", settings)
    assert client.portal is not None
    return client.portal.call(pool.drain)


def _count(stream: str, outcome: str) -> float:
    labels = {"stream": stream, "outcome": outcome}
    return REGISTRY.get_sample_value("dealsignal_render_jobs_total", labels) or 0.0


def _upload(
    client: TestClient, ch: ClickHouse, pages: int = PAGES
) -> tuple[str, dict[str, str], str]:
    tenant, admin = make_key(ch, "预渲染", Scope.ADMIN)
    auth = bearer(admin)
    doc = client.post(
        "/api/v1/documents", headers=auth, data={"title": "方案"},
        files={"file": ("p.pdf", proposal(pages), "application/pdf")},
    ).json()  # fmt: skip
    return tenant, auth, doc["document_id"]


def _link(client: TestClient, auth: dict[str, str], document_id: str) -> dict[str, Any]:
    made = client.post(
        "/api/v1/links", headers=auth,
        json={"document_id": document_id, "recipients": [{"email": EMAIL, "name": "李采购"}]},
    )  # fmt: skip
    assert made.status_code == 201
    link: dict[str, Any] = made.json()["links"][0]
    return link


def _session(client: TestClient, link: dict[str, Any]) -> str:
    viewer = client.get(link["viewer_url"].removeprefix("http://testserver")).text
    return re.search(r'data-session="([^"]+)"', viewer).group(1)  # type: ignore[union-attr]


def _served(client: TestClient, session: str, page: int, width: int) -> bytes | None:
    """What the ASGI front answers from the by-link pointer alone (None: the full path)."""
    services = _services(client)
    claims = services.signer.read_viewer_session(session)
    assert client.portal is not None
    return client.portal.call(served_page_image, services, claims, page, width)


def _queued(redis_url: str) -> int:
    r = redis.Redis.from_url(redis_url)
    return sum(r.xlen(s) for s in (redis_keys.RENDER_FIRST, redis_keys.RENDER_LATER))


def test_every_page_of_a_new_link_is_served_from_the_cache_once_the_pool_drains(
    client: TestClient, clickhouse: ClickHouse, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PIL import Image

    _tenant, auth, document_id = _upload(client, clickhouse)
    rendered = _count("first", "rendered"), _count("later", "rendered")
    session = _session(client, _link(client, auth, document_id))
    widths = _services(client).settings.render.widths
    assert _queued(redis_url) == PAGES  # one job per page, nothing rendered yet
    assert _served(client, session, 1, widths[0]) is None

    assert _drain(client) == PAGES
    assert _queued(redis_url) == 0  # done jobs are acknowledged and deleted
    assert _count("first", "rendered") - rendered[0] == 1
    assert _count("later", "rendered") - rendered[1] == PAGES - 1
    for page in range(1, PAGES + 1):
        for width in widths:
            png = _served(client, session, page, width)
            assert png is not None and Image.open(io.BytesIO(png)).width == width
    assert _served(client, session, 1, 2400) is None  # rendered only when asked for

    def no_reads(*_args: object) -> None:
        raise AssertionError("the link was read: not served from the cache")

    monkeypatch.setattr(recipient_routes, "_link_for_session", no_reads)
    for page in range(1, PAGES + 1):  # what the viewer asks for first: the front answers
        got = client.get(f"/s/{session}/page/{page}.png?w=1200")
        assert got.status_code == 200 and got.content == _served(client, session, page, 1200)


def test_first_pages_of_every_link_come_before_any_later_page(
    client: TestClient, clickhouse: ClickHouse, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tenant, auth, document_id = _upload(client, clickhouse)
    made = client.post(
        "/api/v1/links", headers=auth,
        json={"document_id": document_id,
              "recipients": [{"email": f"b{i}@buyer.example"} for i in range(3)]},
    ).json()["links"]  # fmt: skip
    r = redis.Redis.from_url(redis_url)
    first = [RenderJob.of(f) for _, f in r.xrange(redis_keys.RENDER_FIRST)]
    later = [RenderJob.of(f) for _, f in r.xrange(redis_keys.RENDER_LATER)]
    assert [(j.link_id, j.page) for j in first] == [(link["id"], 1) for link in made]
    assert [j.page for j in later] == [2, 2, 2, 3, 3, 3]  # page 2 of each link before page 3

    seen: list[int] = []
    real = pool_module.run_job

    async def recording(services: Services, job: RenderJob, widths: tuple[int, ...]) -> Any:
        seen.append(job.page)
        return await real(services, job, widths)

    monkeypatch.setattr(pool_module, "run_job", recording)
    _drain(client, RenderSettings(widths=(480,)))
    assert seen == [1, 1, 1, 2, 2, 2, 3, 3, 3]


def test_the_pages_rendered_ahead_can_be_capped(
    client: TestClient, clickhouse: ClickHouse, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = _services(client)
    capped = services.settings.render.model_copy(update={"pages": 2})
    monkeypatch.setattr(services.settings, "render", capped)
    _tenant, auth, document_id = _upload(client, clickhouse, pages=4)
    session = _session(client, _link(client, auth, document_id))
    r = redis.Redis.from_url(redis_url)
    assert [RenderJob.of(f).page for _, f in r.xrange(redis_keys.RENDER_LATER)] == [2]
    assert _drain(client) == 2
    width = capped.widths[0]
    assert _served(client, session, 2, width) is not None
    assert _served(client, session, 3, width) is None  # rendered when first asked for
    assert client.get(f"/s/{session}/page/3.png?w={width}").status_code == 200
    assert _served(client, session, 3, width) is not None


def test_a_revoked_links_jobs_are_skipped(
    client: TestClient, clickhouse: ClickHouse, redis_url: str
) -> None:
    tenant, auth, document_id = _upload(client, clickhouse)
    link = _link(client, auth, document_id)
    session = _session(client, link)
    assert client.post(f"/api/v1/links/{link['id']}/revoke", headers=auth).status_code == 200
    skipped = _count("first", "skipped") + _count("later", "skipped")

    assert _drain(client) == PAGES
    assert _count("first", "skipped") + _count("later", "skipped") - skipped == PAGES
    assert _queued(redis_url) == 0
    pattern = redis_keys.link_page_images(tenant, link["id"])
    assert list(redis.Redis.from_url(redis_url).scan_iter(match=pattern)) == []
    assert _served(client, session, 1, 1200) is None


def test_an_erased_recipients_jobs_are_skipped(
    client: TestClient, clickhouse: ClickHouse, redis_url: str
) -> None:
    tenant, auth, document_id = _upload(client, clickhouse)
    link = _link(client, auth, document_id)
    assert client.delete(f"/api/v1/people/{EMAIL}", headers=auth).status_code == 200
    skipped = _count("first", "skipped") + _count("later", "skipped")
    assert _drain(client) == PAGES
    assert _count("first", "skipped") + _count("later", "skipped") - skipped == PAGES
    r = redis.Redis.from_url(redis_url)
    assert list(r.scan_iter(match=redis_keys.copies_of_link(tenant, link["id"]))) == []


def test_a_new_revision_queues_its_live_links_and_supersedes_the_old_jobs(
    client: TestClient, clickhouse: ClickHouse, redis_url: str
) -> None:
    _tenant, auth, document_id = _upload(client, clickhouse)
    link = _link(client, auth, document_id)
    revoked = _link(client, auth, document_id)
    assert client.post(f"/api/v1/links/{revoked['id']}/revoke", headers=auth).status_code == 200
    assert _queued(redis_url) == 2 * PAGES
    revision = client.post(
        f"/api/v1/documents/{document_id}/versions", headers=auth,
        files={"file": ("p2.pdf", proposal(PAGES + 1, title="Revised"), "application/pdf")},
    )  # fmt: skip
    assert revision.status_code == 201
    assert _queued(redis_url) == 2 * PAGES + PAGES + 1  # the live link only, every new page
    skipped = _count("first", "skipped") + _count("later", "skipped")
    rendered = _count("first", "rendered") + _count("later", "rendered")

    assert _drain(client) == 2 * PAGES + PAGES + 1
    # the old version's jobs (both links) and the revoked link's: skipped, never rendered
    assert _count("first", "skipped") + _count("later", "skipped") - skipped == 2 * PAGES
    assert _count("first", "rendered") + _count("later", "rendered") - rendered == PAGES + 1
    session = _session(client, link)  # a session on the new version
    assert all(_served(client, session, p, 1200) for p in range(1, PAGES + 2))


def test_a_job_left_pending_by_a_crashed_worker_is_done_by_another(
    client: TestClient, clickhouse: ClickHouse, redis_url: str
) -> None:
    _tenant, auth, document_id = _upload(client, clickhouse)
    session = _session(client, _link(client, auth, document_id))
    r = redis.Redis.from_url(redis_url)
    group, first = redis_keys.RENDER_GROUP, redis_keys.RENDER_FIRST
    # "crashed": read page 1's job and died before acknowledging it
    taken = r.xreadgroup(group, "crashed-0", {first: ">"}, count=1)
    assert len(taken[0][1]) == 1

    assert _drain(client) == PAGES - 1  # not yet idle long enough to be anyone else's
    assert r.xpending(first, group)["pending"] == 1
    assert _served(client, session, 1, 1200) is None

    assert _drain(client, RenderSettings(reclaim_idle_ms=0)) == 1
    assert r.xpending(first, group)["pending"] == 0 and r.xlen(first) == 0
    assert _served(client, session, 1, 1200) is not None


def test_a_restarted_worker_resumes_its_own_pending_jobs_at_once(
    client: TestClient, clickhouse: ClickHouse, redis_url: str
) -> None:
    _tenant, auth, document_id = _upload(client, clickhouse, pages=1)
    session = _session(client, _link(client, auth, document_id))
    r = redis.Redis.from_url(redis_url)
    first = redis_keys.RENDER_FIRST
    r.xreadgroup(redis_keys.RENDER_GROUP, "drain", {first: ">"}, count=1)  # then "restarted"
    assert _drain(client) == 1  # same consumer name: its own pending job, no idle wait
    assert _served(client, session, 1, 1200) is not None


def test_a_job_that_keeps_failing_is_dropped_after_max_claims(
    client: TestClient, clickhouse: ClickHouse, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tenant, auth, document_id = _upload(client, clickhouse, pages=1)
    _link(client, auth, document_id)
    attempts: list[RenderJob] = []

    async def crashing(_services: Services, job: RenderJob, _widths: tuple[int, ...]) -> Any:
        attempts.append(job)
        raise RuntimeError("pdfium fell over")

    monkeypatch.setattr(pool_module, "run_job", crashing)
    poisoned, failed = _count("first", "poisoned"), _count("first", "failed")
    _drain(client, RenderSettings(reclaim_idle_ms=0, max_claims=5))
    assert len(attempts) == 5  # delivered once, claimed again 4 times, dropped at the 5th
    assert _count("first", "failed") - failed == 5
    assert _count("first", "poisoned") - poisoned == 1
    r = redis.Redis.from_url(redis_url)
    first = redis_keys.RENDER_FIRST
    assert r.xlen(first) == 0 and r.xpending(first, redis_keys.RENDER_GROUP)["pending"] == 0


def test_a_malformed_entry_is_dropped(
    client: TestClient, clickhouse: ClickHouse, redis_url: str
) -> None:
    r = redis.Redis.from_url(redis_url)
    r.xadd(redis_keys.RENDER_LATER, {"t": "x", "p": "two"})
    poisoned = _count("later", "poisoned")
    assert _drain(client) == 1
    assert _count("later", "poisoned") - poisoned == 1 and r.xlen(redis_keys.RENDER_LATER) == 0


def test_the_running_pool_renders_and_stops_when_told(
    client: TestClient, clickhouse: ClickHouse, redis_url: str
) -> None:
    import asyncio

    _tenant, auth, document_id = _upload(client, clickhouse)
    session = _session(client, _link(client, auth, document_id))
    pool = RenderPool(_services(client), "live", RenderSettings(workers=2))
    stop = asyncio.Event()

    async def run_until_drained() -> None:
        workers = asyncio.create_task(pool.run_forever(stop))
        redis_ = _services(client).redis.client
        streams = (redis_keys.RENDER_FIRST, redis_keys.RENDER_LATER)
        for _ in range(6000):  # a bound, not a timing: the jobs are done long before
            if sum([await redis_.xlen(s) for s in streams]) == 0:
                break
            await asyncio.sleep(0.01)
        stop.set()
        await workers  # each worker sees the flag within one blocking read

    assert client.portal is not None
    client.portal.call(run_until_drained)
    assert _queued(redis_url) == 0
    assert all(_served(client, session, p, 1200) for p in range(1, PAGES + 1))
