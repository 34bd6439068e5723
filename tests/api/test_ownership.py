"""Keys obey the web app's ownership rules: a reps key acts as the person it was issued to
and may not create channels for other people, delete a manager's channel, touch another
person's settings or resolve a to-do that is not its person's — or in anyone else's name."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
from fastapi.testclient import TestClient

from outbound.notify import Notifier, notify_stall
from scoring.stall.store import StallEpisode, StallStatus
from tests.api.conftest import bearer
from tracker.api_keys import create_api_key
from tracker.clock import utcnow
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse
from tracker.tenants import create_tenant
from tracker.types import Scope
from tracker.users import Role, create_user

BASE = "/api/v1/notifications"
MANAGER, REP = "li@acme.cn", "zhang@acme.cn"
URL = "http://127.0.0.1:9/cgi-bin/webhook/send?key=K"


def _people(client: TestClient, ch: ClickHouse, settings: Settings) -> dict[str, str]:
    settings.webhooks.allow_private = ["127.0.0.1"]
    tenant = create_tenant(ch, "acme").tenant_id
    create_user(ch, tenant, MANAGER, "李经理", Role.MANAGER, "password-123456")
    create_user(ch, tenant, REP, "张伟", Role.REP, "password-123456", MANAGER)
    _, admin = create_api_key(ch, tenant, Scope.ADMIN)
    made = client.post(
        "/api/v1/keys", headers=bearer(admin), json={"scope": "reps", "owner": REP.upper()}
    )
    assert made.status_code == 201 and made.json()["owner"] == REP, made.text
    nobody = client.post("/api/v1/keys", headers=bearer(admin), json={"scope": "reps"})
    unknown = client.post(
        "/api/v1/keys", headers=bearer(admin), json={"scope": "reps", "owner": "x@acme.cn"}
    )
    assert unknown.status_code == 404
    return {
        "tenant": tenant,
        "admin": admin,
        "rep": made.json()["key"],
        "nobody": nobody.json()["key"],
    }


def _channel(client: TestClient, key: str, owner: str) -> object:
    return client.post(
        f"{BASE}/channels", headers=bearer(key), json={"kind": "wecom", "owner": owner, "url": URL}
    )


def test_a_reps_key_manages_only_its_own_persons_channels_and_settings(
    client: TestClient, clickhouse: ClickHouse, settings: Settings
) -> None:
    keys = _people(client, clickhouse, settings)
    for key in (keys["rep"], keys["nobody"]):
        refused = _channel(client, key, MANAGER)
        assert refused.status_code == 403  # type: ignore[attr-defined]
    assert _channel(client, keys["rep"], MANAGER).json()["error"]["code"] == "not_your_own"  # type: ignore[attr-defined]
    assert _channel(client, keys["nobody"], REP).json()["error"]["code"] == "key_has_no_owner"  # type: ignore[attr-defined]
    own = _channel(client, keys["rep"], REP)
    assert own.status_code == 201  # type: ignore[attr-defined]

    managers = _channel(client, keys["admin"], MANAGER).json()["id"]  # type: ignore[attr-defined]
    gone = client.delete(f"{BASE}/channels/{managers}", headers=bearer(keys["rep"]))
    assert gone.status_code == 403 and gone.json()["error"]["code"] == "not_your_own"
    mine = own.json()["id"]  # type: ignore[attr-defined]
    assert client.delete(f"{BASE}/channels/{mine}", headers=bearer(keys["rep"])).status_code == 204

    prefs = {"time_zone": "Asia/Shanghai"}
    theirs = client.put(
        f"{BASE}/users/{MANAGER}/preferences", headers=bearer(keys["rep"]), json=prefs
    )
    assert theirs.status_code == 403
    ours = client.put(f"{BASE}/users/{REP}/preferences", headers=bearer(keys["rep"]), json=prefs)
    assert ours.status_code == 200
    mute = client.post(
        f"{BASE}/users/{MANAGER}/mutes", headers=bearer(keys["rep"]), json={"opportunity_id": "o"}
    )
    assert mute.status_code == 403


def test_a_to_do_is_resolved_only_by_its_manager_in_their_own_name(
    client: TestClient, clickhouse: ClickHouse, settings: Settings, redis_url: str
) -> None:
    keys = _people(client, clickhouse, settings)
    tenant = keys["tenant"]

    async def stall() -> None:
        redis = aioredis.Redis.from_url(redis_url)
        now = utcnow()
        episode = StallEpisode(
            "opp_1", "stl_1", StallStatus.OPEN, ("inactivity",), "48h", REP, MANAGER, now, now
        )
        await notify_stall(Notifier(settings, redis, clickhouse), tenant, episode)
        await redis.aclose()

    asyncio.run(stall())
    (todo,) = client.get(f"{BASE}/todos", headers=bearer(keys["admin"])).json()
    resolve = f"{BASE}/todos/{todo['id']}/resolve"
    # The rep's key, even claiming to be the manager, cannot see or resolve the to-do.
    refused = client.post(resolve, headers=bearer(keys["rep"]), json={"by": MANAGER})
    assert refused.status_code == 404
    _, manager_key = create_api_key(clickhouse, tenant, Scope.REPS, owner=MANAGER)
    posing = client.post(resolve, headers=bearer(manager_key), json={"by": "ceo@acme.cn"})
    assert posing.status_code == 403 and posing.json()["error"]["code"] == "not_your_own"
    done = client.post(resolve, headers=bearer(manager_key), json={})
    assert done.status_code == 200
    assert done.json()["status"] == "resolved" and done.json()["resolved_by"] == MANAGER
