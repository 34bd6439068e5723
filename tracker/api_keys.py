"""API keys for machines (CRM, scripts). The plaintext is shown once; only its SHA-256 is
stored. Keys are 256-bit random, so a fast hash is safe here (no dictionary to attack) and
keeps authentication off the slow path.

Format: `ds_<key id>.<secret>` — the key id finds the row, the secret is compared in
constant time."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime

import pyarrow as pa

from tracker.clock import TS, utcnow, version_now
from tracker.errors import NotFound, Unauthenticated
from tracker.ids import new_id
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope

__all__ = [
    "ApiKey",
    "ApiKeyAuthenticator",
    "Principal",
    "create_api_key",
    "list_api_keys",
    "revoke_api_key",
]

_PREFIX = "ds_"
# Shape of `new_id("api_key")`: anything else is refused before any lookup.
_KEY_ID = re.compile(r"key_[0-9A-HJKMNP-TV-Z]{26}")
# Remembered keys: enough for every real key of a deployment many times over.
_CACHE_SIZE = 10_000
# Remembered misses, kept apart (and fewer) so made-up key ids can neither grow the process
# without bound nor evict a real key.
_MISSING_SIZE = 1_000


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    tenant_id: str
    scope: Scope
    name: str
    created_at: datetime
    revoked_at: datetime | None
    owner: str = ""  # the user (email) a reps key acts as; '' for machine keys


@dataclass(frozen=True)
class Principal:
    """Who is calling: resolved from a key, passed explicitly to every store call."""

    tenant_id: str
    scope: Scope
    key_id: str
    owner: str = ""  # the person this key acts as ('' = nobody in particular)

    def allows(self, required: Scope) -> bool:
        return self.scope.allows(required)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _write(ch: ClickHouse, key: ApiKey, key_hash: str) -> None:
    ch.insert(
        "api_keys",
        pa.table(
            {
                "key_id": [key.key_id],
                "tenant_id": [key.tenant_id],
                "key_hash": [key_hash],
                "scope": [key.scope.value],
                "name": [key.name],
                "owner": [key.owner],
                "created_at": pa.array([key.created_at], TS),
                "revoked_at": pa.array([key.revoked_at], TS),
                "version": pa.array([version_now()], pa.uint64()),
            }
        ),
    )


def create_api_key(
    ch: ClickHouse, tenant_id: str, scope: Scope, name: str = "", owner: str = ""
) -> tuple[ApiKey, str]:
    """Store a new key; return it and the plaintext (the only time it exists). `owner`:
    the user (email) the key acts as, checked by the caller."""
    key = ApiKey(new_id("api_key"), tenant_id, scope, name, utcnow(), None, owner.strip().lower())
    secret = secrets.token_urlsafe(32)
    _write(ch, key, _hash(secret))
    return key, f"{_PREFIX}{key.key_id}.{secret}"


def _rows(ch: ClickHouse, where: str, params: dict[str, str]) -> list[tuple[ApiKey, str]]:
    rows = ch.query(
        "SELECT key_id, tenant_id, key_hash, scope, name, created_at, revoked_at, owner "
        f"FROM {ch.database}.api_keys FINAL WHERE {where} ORDER BY created_at",
        params,
    )
    return [
        (
            ApiKey(
                r["key_id"],
                r["tenant_id"],
                Scope(r["scope"]),
                r["name"],
                r["created_at"],
                r["revoked_at"],
                r["owner"],
            ),
            r["key_hash"],
        )
        for r in rows
    ]


def list_api_keys(ch: ClickHouse, tenant_id: str) -> list[ApiKey]:
    return [key for key, _ in _rows(ch, "tenant_id = {tenant_id:String}", {"tenant_id": tenant_id})]


def revoke_api_key(ch: ClickHouse, tenant_id: str, key_id: str) -> ApiKey:
    found = _rows(
        ch,
        "tenant_id = {tenant_id:String} AND key_id = {key_id:String}",
        {"tenant_id": tenant_id, "key_id": key_id},
    )
    if not found:
        raise NotFound("unknown API key", code="api_key_not_found")
    key, key_hash = found[0]
    revoked = replace(key, revoked_at=utcnow())
    _write(ch, revoked, key_hash)
    return revoked


class ApiKeyAuthenticator:
    """Resolves a presented key to a Principal, caching rows briefly so a hot CRM pull does
    not query ClickHouse per request. Revocation through this object is seen at once;
    revocation by another process within `ttl` seconds."""

    def __init__(self, ch: ClickHouse, ttl: float = 10.0) -> None:
        self._ch = ch
        self._ttl = ttl
        # key id → (cached at, row); misses (made-up or mistyped ids) → cached at.
        self._found: dict[str, tuple[float, tuple[ApiKey, str]]] = {}
        self._missing: dict[str, float] = {}
        self._lock = threading.Lock()
        # Single flight per key id: when an entry expires under load, every request holding
        # that key misses at once; the first reads, the rest wait for it and find it fresh.
        # Reads of different keys never wait for each other.
        self._reads: dict[str, threading.Lock] = {}

    def invalidate(self, key_id: str) -> None:
        with self._lock:
            self._found.pop(key_id, None)
            self._missing.pop(key_id, None)

    def _fresh(self, key_id: str) -> tuple[bool, tuple[ApiKey, str] | None]:
        now = time.monotonic()
        with self._lock:
            found = self._found.get(key_id)
            missed = self._missing.get(key_id)
        if found and now - found[0] < self._ttl:
            return True, found[1]
        if missed is not None and now - missed < self._ttl:
            return True, None
        return False, None

    def _remember(self, key_id: str, at: float, entry: tuple[ApiKey, str] | None) -> None:
        with self._lock:
            self._found.pop(key_id, None)
            self._missing.pop(key_id, None)
            if entry is None:
                if len(self._missing) >= _MISSING_SIZE:
                    del self._missing[next(iter(self._missing))]  # the longest-cached miss
                self._missing[key_id] = at
            else:
                if len(self._found) >= _CACHE_SIZE:
                    del self._found[next(iter(self._found))]  # the longest-cached key
                self._found[key_id] = (at, entry)

    def _lookup(self, key_id: str) -> tuple[ApiKey, str] | None:
        fresh, entry = self._fresh(key_id)
        if fresh:
            return entry
        with self._lock:
            flight = self._reads.setdefault(key_id, threading.Lock())
        try:
            with flight:
                fresh, entry = self._fresh(key_id)
                if fresh:
                    return entry
                now = time.monotonic()
                found = _rows(self._ch, "key_id = {key_id:String}", {"key_id": key_id})
                entry = found[0] if found else None
                self._remember(key_id, now, entry)
                return entry
        finally:
            # Done: the next miss of this key starts a new flight; requests already waiting
            # on this one find the entry fresh when their turn comes.
            with self._lock:
                if self._reads.get(key_id) is flight:
                    del self._reads[key_id]

    def needs_store(self, presented: str) -> bool:
        """False when `authenticate` can answer from memory, so a caller on an event loop
        can skip the thread hop that a ClickHouse read would need."""
        if not presented.startswith(_PREFIX):
            return False  # refused without any lookup
        key_id = presented[len(_PREFIX) :].partition(".")[0]
        return _KEY_ID.fullmatch(key_id) is not None and not self._fresh(key_id)[0]

    def authenticate(self, presented: str) -> Principal:
        if not presented.startswith(_PREFIX) or "." not in presented:
            raise Unauthenticated("malformed API key", code="malformed_api_key")
        key_id, _, secret = presented[len(_PREFIX) :].partition(".")
        if not _KEY_ID.fullmatch(key_id) or not secret:
            raise Unauthenticated("malformed API key", code="malformed_api_key")
        entry = self._lookup(key_id)
        if entry is None or not hmac.compare_digest(entry[1], _hash(secret)):
            raise Unauthenticated("unknown API key", code="invalid_api_key")
        key = entry[0]
        if key.revoked_at is not None:
            raise Unauthenticated("API key revoked", code="revoked_api_key")
        return Principal(key.tenant_id, key.scope, key.key_id, key.owner)
