"""The notifications REST API: channels (secrets write-only), rules, preferences, mutes,
the manager's to-dos, the delivery log, and the one-click mute link."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
from fastapi.testclient import TestClient

from outbound.notify import Notifier, muted_deals, notify_stall
from scoring.stall.store import StallEpisode, StallStatus
from tests.api.conftest import bearer
from tracker.api_keys import create_api_key
from tracker.clock import utcnow
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse
from tracker.tenants import create_tenant
from tracker.types import Scope
from tracker.users import Role, create_user


def test_channels_rules_preferences_mutes_todos_and_mute_link(
    client: TestClient, clickhouse: ClickHouse, settings: Settings, redis_url: str
) -> None:
    settings.webhooks.allow_private = ["127.0.0.1"]
    tenant = create_tenant(clickhouse, "acme", default_locale="zh_CN").tenant_id
    _, admin = create_api_key(clickhouse, tenant, Scope.ADMIN)
    # The manager's own key: it manages li's robot, settings and to-dos (test_ownership.py
    # has what a key may not do for other people).
    _, reps = create_api_key(clickhouse, tenant, Scope.REPS, owner="li@acme.cn")
    create_user(clickhouse, tenant, "li@acme.cn", "李经理", Role.MANAGER, "password-123456")
    base = "/api/v1/notifications"
    url = "http://127.0.0.1:9/cgi-bin/webhook/send?key=SECRET-KEY-123"

    denied = client.post(
        f"{base}/channels", json={"kind": "wecom", "url": url}, headers=bearer(reps)
    )
    assert denied.status_code == 403
    made = client.post(
        f"{base}/channels",
        json={"kind": "wecom", "name": "销售群", "url": url},
        headers=bearer(admin),
    )
    assert made.status_code == 201, made.text
    assert "SECRET-KEY" not in made.text
    channel_id = made.json()["id"]
    own = client.post(
        f"{base}/channels",
        headers=bearer(reps),
        json={"kind": "feishu", "owner": "li@acme.cn", "url": url, "secret": "s"},
    )
    assert own.status_code == 201 and own.json()["owner"] == "li@acme.cn"
    listed = client.get(f"{base}/channels", headers=bearer(reps)).json()
    assert len(listed) == 2 and "SECRET-KEY" not in str(listed)
    bad = client.post(
        f"{base}/channels",
        headers=bearer(admin),
        json={"kind": "slack", "url": "http://10.0.0.1/x"},
    )
    assert bad.status_code == 400

    rule = client.post(
        f"{base}/rules",
        headers=bearer(admin),
        json={
            "channel_id": channel_id,
            "event_types": ["opportunity.stalled"],
            "audiences": ["manager"],
        },
    )
    assert rule.status_code == 201, rule.text
    assert (
        client.post(
            f"{base}/rules",
            headers=bearer(admin),
            json={"channel_id": channel_id, "event_types": ["nope"]},
        ).status_code
        == 400
    )
    assert [r["id"] for r in client.get(f"{base}/rules", headers=bearer(reps)).json()] == [
        rule.json()["id"]
    ]

    prefs = client.put(
        f"{base}/users/li@acme.cn/preferences",
        headers=bearer(reps),
        json={
            "time_zone": "Asia/Shanghai",
            "quiet_start": "22:00",
            "quiet_end": "08:00",
            "locale": "zh_CN",
        },
    )
    assert prefs.status_code == 200, prefs.text
    got = client.get(f"{base}/users/li@acme.cn/preferences", headers=bearer(reps)).json()
    assert got["quiet_start"] == "22:00" and got["quiet_end"] == "08:00"
    assert (
        client.put(
            f"{base}/users/li@acme.cn/preferences",
            headers=bearer(reps),
            json={"time_zone": "Mars/Base"},
        ).status_code
        == 400
    )

    assert (
        client.post(
            f"{base}/users/li@acme.cn/mutes", headers=bearer(reps), json={"opportunity_id": "opp_9"}
        ).status_code
        == 204
    )
    assert client.get(f"{base}/users/li@acme.cn/mutes", headers=bearer(reps)).json() == ["opp_9"]
    client.delete(f"{base}/users/li@acme.cn/mutes/opp_9", headers=bearer(reps))
    assert client.get(f"{base}/users/li@acme.cn/mutes", headers=bearer(reps)).json() == []

    # A stall makes a manager to-do; resolving it by hand removes it from the open list.
    async def stall() -> None:
        redis = aioredis.Redis.from_url(redis_url)
        now = utcnow()
        episode = StallEpisode(
            "opp_1",
            "stl_1",
            StallStatus.OPEN,
            ("inactivity",),
            "48 小时无互动",
            "zhang@acme.cn",
            "li@acme.cn",
            now,
            now,
        )
        await notify_stall(Notifier(settings, redis, clickhouse), tenant, episode)
        await redis.aclose()

    asyncio.run(stall())
    (todo,) = client.get(f"{base}/todos?manager=li@acme.cn", headers=bearer(reps)).json()
    assert todo["status"] == "open" and todo["detail"] == "48 小时无互动"
    done = client.post(
        f"{base}/todos/{todo['id']}/resolve", headers=bearer(reps), json={"by": "li@acme.cn"}
    )
    assert done.json()["status"] == "resolved" and done.json()["resolved_by"] == "li@acme.cn"
    assert client.get(f"{base}/todos", headers=bearer(reps)).json() == []
    assert len(client.get(f"{base}/todos?status=all", headers=bearer(reps)).json()) == 1
    assert client.get(f"{base}/channels/{channel_id}/deliveries", headers=bearer(reps)).json() == []

    # The one-click mute link: GET shows a self-submitting form, POST mutes.
    from itsdangerous import URLSafeSerializer

    from tracker.config import resolve_secret_keys

    token = URLSafeSerializer(resolve_secret_keys(settings)[::-1], salt="notify-mute").dumps(
        [tenant, "li@acme.cn", "opp_1"]
    )
    page = client.get(f"/n/mute/{token}", headers={"Accept-Language": "zh-CN"})
    assert (
        page.status_code == 200 and "不再提醒此商机" in page.text and 'method="post"' in page.text
    )
    assert muted_deals(clickhouse, tenant, "li@acme.cn") == []
    assert "已静音此商机" in client.post(f"/n/mute/{token}").text
    assert muted_deals(clickhouse, tenant, "li@acme.cn") == ["opp_1"]
    assert client.get("/n/mute/forged").status_code == 404

    assert client.delete(f"{base}/channels/{channel_id}", headers=bearer(reps)).status_code == 403
    assert client.delete(f"{base}/channels/{channel_id}", headers=bearer(admin)).status_code == 204
