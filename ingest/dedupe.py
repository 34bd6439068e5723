"""Batch manifests and event-id claims: how the writer gets exactly-once query results out of
an at-least-once stream.

Duplicates have two sources: (a) a client retry puts the same `event_id` into another stream
entry; (b) a writer dies between the ClickHouse insert and `XACK`, so the entries are
delivered again. The protocol, per batch of stream entries:

1. **Manifest.** The batch gets a deterministic id (hash of its sorted entry ids) and a
   ClickHouse dedupe token. In one Lua script (atomic): `ds:man:{id}` = {entries, token} and
   `ds:em:{entry}` = id for every entry. Nothing is claimed before the manifest exists, so a
   crash before this point just means the entries are read again as a fresh batch.
2. **Claims.** `SET ds:evt:{event_id} {manifest} NX EX 2d` per distinct event id (first
   occurrence in entry order wins inside the batch). An event whose claim belongs to another
   manifest is a duplicate and is dropped. Claims never change owner, so re-running this step
   for the same manifest keeps exactly the same rows.
3. **Insert** the kept rows with the manifest's dedupe token (retried while ClickHouse is down).
4. **Finalize** in one MULTI: `XACK` + `XDEL` the entries, delete the manifest and pointers.

Recovery (own pending entries after a restart, or entries taken over with `XAUTOCLAIM`): an
entry that points to a live manifest makes the writer *replay that manifest* — re-read all its
entries with `XRANGE`, redo the claims (same result), insert with the same token (ClickHouse
ignores a repeated token, and so do the materialized views), finalize. If any entry of the
manifest is already gone, the manifest was finalized (XDEL happens only in step 4, atomically
with deleting the manifest) and the held entries are just acknowledged. An entry whose
manifest is gone is treated as fresh; its events' claims still name the old manifest, so they
are dropped as duplicates. Nothing is acknowledged before its rows are in ClickHouse.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson
import redis.asyncio as aioredis

from ingest.metrics import DUPLICATES_DROPPED
from tracker import redis_keys

__all__ = [
    "Manifest",
    "claim_rows",
    "entry_sort_key",
    "finalize_manifest",
    "load_manifest",
    "manifest_pointers",
    "new_manifest",
]

_EVENT_ID = 0  # column index of event_id in a row

# Manifests and claims are one script call each instead of one command per entry or event:
# per-command packing and reply handling in redis-py was most of the writer's time.
_CREATE_MANIFEST = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
for i = 2, #KEYS do redis.call('SET', KEYS[i], ARGV[2], 'EX', ARGV[3]) end
return #KEYS
"""
# 1 where the claim is (now or already) the manifest's, 0 where another manifest holds it.
_CLAIM = """
local mine = {}
for i, key in ipairs(KEYS) do
  if redis.call('SET', key, ARGV[1], 'NX', 'EX', ARGV[2]) or redis.call('GET', key) == ARGV[1]
  then mine[i] = 1 else mine[i] = 0 end
end
return mine
"""
_CLAIM_CHUNK = 5000  # keys per script call, so one call never blocks Redis for long


def entry_sort_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return (int(ms), int(seq or 0))


@dataclass(slots=True)
class Manifest:
    manifest_id: str
    token: str
    entry_ids: list[str]
    rows: dict[str, list[list[Any]]] = field(default_factory=dict)  # entry id → rows

    def ordered_rows(self) -> list[list[Any]]:
        return [row for entry in self.entry_ids for row in self.rows.get(entry, [])]


async def manifest_pointers(redis: aioredis.Redis, entry_ids: list[str]) -> dict[str, str]:
    """entry id → manifest id, for the entries that already belong to a manifest."""
    if not entry_ids:
        return {}
    values: list[Any] = await redis.mget([redis_keys.entry_manifest(e) for e in entry_ids])
    return {e: bytes(v).decode() for e, v in zip(entry_ids, values, strict=True) if v is not None}


async def new_manifest(
    redis: aioredis.Redis, stream: str, rows: dict[str, list[list[Any]]]
) -> Manifest:
    entry_ids = sorted(rows, key=entry_sort_key)
    digest = hashlib.blake2b("\n".join(entry_ids).encode(), digest_size=12).hexdigest()
    manifest = Manifest(f"m_{digest}", f"{stream}:{digest}", entry_ids, rows)
    body = orjson.dumps({"token": manifest.token, "entries": entry_ids})
    keys = [
        redis_keys.manifest(manifest.manifest_id),
        *(redis_keys.entry_manifest(e) for e in entry_ids),
    ]
    # A script runs atomically: the manifest and all its pointers exist, or none do.
    await redis.register_script(_CREATE_MANIFEST)(
        keys=keys, args=[body, manifest.manifest_id, redis_keys.MANIFEST_TTL_SECONDS]
    )
    return manifest


async def load_manifest(redis: aioredis.Redis, manifest_id: str) -> Manifest | None:
    body = await redis.get(redis_keys.manifest(manifest_id))
    if body is None:
        return None
    doc = orjson.loads(body)
    return Manifest(manifest_id, str(doc["token"]), [str(e) for e in doc["entries"]])


async def claim_rows(redis: aioredis.Redis, manifest: Manifest) -> list[list[Any]]:
    """The rows this manifest owns: first occurrence per event id, claim held by us."""
    first: dict[str, list[Any]] = {}
    for row in manifest.ordered_rows():
        first.setdefault(row[_EVENT_ID], row)
    ids = list(first)
    if not ids:
        return []
    claim = redis.register_script(_CLAIM)
    mine: list[int] = []
    for lo in range(0, len(ids), _CLAIM_CHUNK):
        chunk = ids[lo : lo + _CLAIM_CHUNK]
        mine.extend(
            await claim(
                keys=[redis_keys.event_claim(e) for e in chunk],
                args=[manifest.manifest_id, redis_keys.CLAIM_TTL_SECONDS],
            )
        )
    lost = {event_id for event_id, held in zip(ids, mine, strict=True) if not held}
    total = sum(len(rows) for rows in manifest.rows.values())
    dropped = total - len(ids) + len(lost)
    if dropped:
        DUPLICATES_DROPPED.inc(dropped)
    return [row for event_id, row in first.items() if event_id not in lost]


async def finalize_manifest(
    redis: aioredis.Redis, stream: str, group: str, manifest: Manifest
) -> None:
    """Acknowledge and delete the entries, drop the manifest and its pointers (atomically)."""
    async with redis.pipeline(transaction=True) as pipe:
        pipe.xack(stream, group, *manifest.entry_ids)
        pipe.xdel(stream, *manifest.entry_ids)
        pipe.delete(
            redis_keys.manifest(manifest.manifest_id),
            *(redis_keys.entry_manifest(e) for e in manifest.entry_ids),
        )
        await pipe.execute()
