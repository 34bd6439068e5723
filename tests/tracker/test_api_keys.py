from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tracker.api_keys import ApiKeyAuthenticator, create_api_key, list_api_keys, revoke_api_key
from tracker.errors import NotFound, Unauthenticated
from tracker.stores.clickhouse import ClickHouse
from tracker.stores.clickhouse.interface import Row
from tracker.tenants import create_tenant, ensure_tenant, get_tenant
from tracker.types import Scope


def test_key_resolves_its_tenant_and_only_the_hash_is_stored(store: ClickHouse) -> None:
    tenant = create_tenant(store, "华东销售部")
    key, plaintext = create_api_key(store, tenant.tenant_id, Scope.CRM, "crm sync")
    principal = ApiKeyAuthenticator(store).authenticate(plaintext)
    assert (principal.tenant_id, principal.scope, principal.key_id) == (
        tenant.tenant_id,
        Scope.CRM,
        key.key_id,
    )
    stored = store.query(f"SELECT key_hash FROM {store.database}.api_keys FINAL")
    secret = plaintext.split(".", 1)[1]
    assert len(stored) == 1 and secret not in stored[0]["key_hash"]
    assert get_tenant(store, tenant.tenant_id).name == "华东销售部"


@pytest.mark.parametrize(
    ("presented", "code"),
    [
        ("not-a-key", "malformed_api_key"),
        ("ds_", "malformed_api_key"),
        ("ds_key_0000.secret", "malformed_api_key"),  # not the shape of a key id
        ("ds_key_01JD" + "0" * 22 + ".secret", "invalid_api_key"),
    ],
)
def test_unknown_and_malformed_keys_are_refused(
    store: ClickHouse, presented: str, code: str
) -> None:
    with pytest.raises(Unauthenticated) as caught:
        ApiKeyAuthenticator(store).authenticate(presented)
    assert caught.value.code == code


def test_wrong_secret_and_revoked_keys_are_refused(store: ClickHouse) -> None:
    tenant = create_tenant(store, "acme")
    key, plaintext = create_api_key(store, tenant.tenant_id, Scope.REPS)
    auth = ApiKeyAuthenticator(store)
    with pytest.raises(Unauthenticated):
        auth.authenticate(plaintext[:-2] + "xx")
    revoke_api_key(store, tenant.tenant_id, key.key_id)
    auth.invalidate(key.key_id)
    with pytest.raises(Unauthenticated) as caught:
        auth.authenticate(plaintext)
    assert caught.value.code == "revoked_api_key"


def test_admin_scope_implies_the_others() -> None:
    assert Scope.ADMIN.allows(Scope.REPS) and Scope.ADMIN.allows(Scope.CRM)
    assert not Scope.REPS.allows(Scope.CRM) and not Scope.CRM.allows(Scope.ADMIN)


def test_tenant_a_cannot_list_or_revoke_tenant_b_keys(store: ClickHouse) -> None:
    a, b = create_tenant(store, "a"), create_tenant(store, "b")
    key_b, _ = create_api_key(store, b.tenant_id, Scope.ADMIN)
    create_api_key(store, a.tenant_id, Scope.REPS)
    assert [k.tenant_id for k in list_api_keys(store, a.tenant_id)] == [a.tenant_id]
    with pytest.raises(NotFound):
        revoke_api_key(store, a.tenant_id, key_b.key_id)
    assert list_api_keys(store, b.tenant_id)[0].revoked_at is None


def test_ensure_tenant_is_idempotent_by_name(store: ClickHouse) -> None:
    first = ensure_tenant(store, "王总的公司")
    assert ensure_tenant(store, "王总的公司").tenant_id == first.tenant_id


class CountingStore:
    """The real store, counting its queries."""

    def __init__(self, store: ClickHouse) -> None:
        self.store, self.database, self.queries = store, store.database, 0

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        self.queries += 1
        return self.store.query(sql, params)


def test_concurrent_misses_on_one_key_read_the_store_once(store: ClickHouse) -> None:
    tenant = create_tenant(store, "acme")
    _, plaintext = create_api_key(store, tenant.tenant_id, Scope.CRM)
    counting = CountingStore(store)
    auth = ApiKeyAuthenticator(counting)  # type: ignore[arg-type]
    assert auth.needs_store(plaintext)
    with ThreadPoolExecutor(8) as pool:
        principals = list(pool.map(lambda _: auth.authenticate(plaintext), range(32)))
    assert {p.tenant_id for p in principals} == {tenant.tenant_id}
    assert counting.queries == 1 and not auth.needs_store(plaintext)


def test_made_up_key_ids_cannot_grow_the_cache_without_bound(
    store: ClickHouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tracker.api_keys._MISSING_SIZE", 3)
    tenant = create_tenant(store, "acme")
    _, real = create_api_key(store, tenant.tenant_id, Scope.CRM)
    auth = ApiKeyAuthenticator(store)
    for n in range(10):
        with pytest.raises(Unauthenticated):
            auth.authenticate(f"ds_key_01JD{n:022d}.secret")
    assert len(auth._missing) == 3  # the three latest, not ten
    assert auth.authenticate(real).tenant_id == tenant.tenant_id
    assert len(auth._missing) == 3 and len(auth._found) == 1


def test_made_up_key_ids_never_evict_a_real_key(
    store: ClickHouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tracker.api_keys._CACHE_SIZE", 3)
    monkeypatch.setattr("tracker.api_keys._MISSING_SIZE", 3, raising=False)
    tenant = create_tenant(store, "acme")
    _, real = create_api_key(store, tenant.tenant_id, Scope.CRM)
    counting = CountingStore(store)
    auth = ApiKeyAuthenticator(counting)  # type: ignore[arg-type]
    auth.authenticate(real)
    for n in range(10):
        with pytest.raises(Unauthenticated):
            auth.authenticate(f"ds_key_01JD{n:022d}.secret")
    assert not auth.needs_store(real)
    queries = counting.queries
    assert auth.authenticate(real).tenant_id == tenant.tenant_id
    assert counting.queries == queries  # still cached


class StallingStore(CountingStore):
    """The real store, whose read of one key id blocks until released."""

    def __init__(self, store: ClickHouse, slow_key_id: str) -> None:
        super().__init__(store)
        self.slow_key_id = slow_key_id
        self.reading, self.release = threading.Event(), threading.Event()

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        if params and params.get("key_id") == self.slow_key_id:
            self.reading.set()
            self.release.wait(10)
        return super().query(sql, params)


def test_a_slow_read_of_one_key_does_not_hold_up_another(store: ClickHouse) -> None:
    tenant = create_tenant(store, "acme")
    slow_key, slow = create_api_key(store, tenant.tenant_id, Scope.CRM)
    _, fast = create_api_key(store, tenant.tenant_id, Scope.CRM)
    stalling = StallingStore(store, slow_key.key_id)
    auth = ApiKeyAuthenticator(stalling)  # type: ignore[arg-type]
    with ThreadPoolExecutor(2) as pool:
        try:
            stalled = pool.submit(auth.authenticate, slow)
            assert stalling.reading.wait(5)
            other = pool.submit(auth.authenticate, fast)
            assert other.result(timeout=5).tenant_id == tenant.tenant_id
            assert not stalled.done()
        finally:
            stalling.release.set()
        assert stalled.result(timeout=5).key_id == slow_key.key_id
