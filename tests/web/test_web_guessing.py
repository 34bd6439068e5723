"""Guessing passwords: failures are counted per account (whatever the source address or
the spelling of the email) and per client address (whatever the account); X-Forwarded-For
counts only from a configured proxy; argon2 checks are bounded in concurrency and not run
at all once a budget is spent; the sign-in CSRF token is the server's, not the client's."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
import redis.asyncio as aioredis
from fastapi.testclient import TestClient

from api.app import create_app
from tests.web.conftest import PASSWORD, People, sign_in
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse


def _services(client: TestClient) -> object:
    return client.app.state.services  # type: ignore[attr-defined]


@pytest.fixture
def proxied_client(
    fast_settings: Settings, clickhouse: ClickHouse, redis_client: aioredis.Redis
) -> Iterator[TestClient]:
    """The app behind a trusted reverse proxy: the test client's peer is that proxy."""
    settings = fast_settings.model_copy(update={"trusted_proxies": ["testclient"]})
    with TestClient(create_app(settings, run_background=False)) as client:
        yield client


def _from(client: TestClient, address: str) -> None:
    client.headers["X-Forwarded-For"] = address


def test_account_lockout_holds_across_source_addresses(
    proxied_client: TestClient, people: People
) -> None:
    """Every failure from a fresh address (as the trusted proxy reports it) still counts
    against the account: the right password is refused once its budget is spent."""
    budget = _services(proxied_client).settings.auth.signin_failures_per_account  # type: ignore[attr-defined]
    for n in range(budget):
        _from(proxied_client, f"198.51.100.{n + 1}")
        assert sign_in(proxied_client, people.rep_a, "wrong").status_code == 401  # type: ignore[attr-defined]
    _from(proxied_client, "203.0.113.200")
    assert sign_in(proxied_client, people.rep_a).status_code == 429  # type: ignore[attr-defined]
    assert sign_in(proxied_client, people.rep_b).status_code == 303  # type: ignore[attr-defined]


@pytest.mark.parametrize("spelling", ["  ALICE@acme.test ", "ａｌｉｃｅ@ａｃｍｅ.test"])
def test_other_spellings_of_the_email_share_the_account_budget(
    app_client: TestClient, people: People, spelling: str
) -> None:
    budget = _services(app_client).settings.auth.signin_failures_per_account  # type: ignore[attr-defined]
    for _ in range(budget):
        sign_in(app_client, spelling, "wrong")
    assert sign_in(app_client, people.rep_a).status_code == 429  # type: ignore[attr-defined]


def test_forwarded_for_from_an_untrusted_peer_is_ignored(
    app_client: TestClient, people: People, clickhouse: ClickHouse
) -> None:
    """No proxy configured: rotating X-Forwarded-For does not give fresh budgets; the
    address's budget is spent across accounts and then even a right password waits."""
    per_ip = _services(app_client).settings.auth.signin_failures_per_ip  # type: ignore[attr-defined]
    for n in range(per_ip):
        _from(app_client, f"198.51.100.{n + 1}")
        sign_in(app_client, f"nobody{n}@acme.test", "wrong")
    _from(app_client, "203.0.113.7")
    assert sign_in(app_client, people.rep_b).status_code == 429  # type: ignore[attr-defined]


def test_sign_in_csrf_value_must_be_the_servers(app_client: TestClient, people: People) -> None:
    """A double-submit pair the attacker picks (cookie == field) is refused."""
    app_client.cookies.set("ds_login_csrf", "attacker-chosen")
    forged = app_client.post(
        "/app/login",
        data={"email": people.rep_a, "password": PASSWORD, "csrf": "attacker-chosen"},
        follow_redirects=False,
    )
    assert forged.status_code == 403 and "csrf_failed" in forged.text


async def test_concurrent_bad_sign_ins_hash_at_most_the_configured_number_at_once(
    fast_settings: Settings, clickhouse: ClickHouse, people: People, redis_client: aioredis.Redis
) -> None:
    """40 concurrent wrong passwords: at most `password_checks_concurrent` argon2 hashes
    run at once, the queue is bounded (the rest get 429 `busy`), and once the account's
    budget is spent no hash runs at all."""
    app = create_app(fast_settings, run_background=False)
    async with app.app.router.lifespan_context(app.app):
        services = app.app.state.services
        auth = services.settings.auth
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            form = await http.get("/app/login")
            token = form.text.split('name="csrf" value="')[1].split('"')[0]

            async def attempt(n: int) -> int:
                response = await http.post(
                    "/app/login",
                    data={"email": f"guess{n}@acme.test", "password": "wrong", "csrf": token},
                )
                return response.status_code

            statuses = await asyncio.gather(*(attempt(n) for n in range(40)))
        gate = services.password_checks
        print(
            f"\n40 concurrent bad sign-ins: hashes run {gate.checks}, most at once {gate.peak},"
            f" refused by the full gate {gate.refused}, 429 in all {statuses.count(429)}"
        )
        assert set(statuses) <= {401, 429}
        assert 1 <= gate.peak <= auth.password_checks_concurrent
        assert gate.checks == statuses.count(401)
        assert gate.checks <= auth.signin_failures_per_ip
        # Capacity is concurrent + waiting: the rest were turned away before hashing, by
        # the address's budget or by the full gate.
        assert gate.refused >= 1
        assert statuses.count(429) == 40 - gate.checks
