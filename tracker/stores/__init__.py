"""The stores: ClickHouse (embedded chDB or a server, one interface, frozen migrations),
Redis (a configured server or a private one) and the blob store. Driver errors become
`tracker.errors` here, once per store."""

from __future__ import annotations

from tracker.stores.blobs import (
    BlobStore,
    CachedBlobStore,
    FileBlobStore,
    HeldBlobs,
    open_blob_store,
    sha256_hex,
)
from tracker.stores.clickhouse import (
    ClickHouse,
    Migration,
    RenderContext,
    Row,
    apply_migrations,
    delete_rows,
    load_migrations,
    open_clickhouse,
    over_distributed,
    pending_migrations,
    render_context,
    render_statements,
)
from tracker.stores.entities import EntityTable
from tracker.stores.redis_client import RedisHandle, open_redis
from tracker.stores.redis_error_map import redis_errors, translate_redis_error
from tracker.stores.redis_pipe import RedisPipe
from tracker.stores.redis_server import PrivateRedisServer, find_redis_binary

__all__ = [
    "BlobStore",
    "CachedBlobStore",
    "ClickHouse",
    "EntityTable",
    "FileBlobStore",
    "HeldBlobs",
    "Migration",
    "PrivateRedisServer",
    "RedisHandle",
    "RedisPipe",
    "RenderContext",
    "Row",
    "apply_migrations",
    "delete_rows",
    "find_redis_binary",
    "load_migrations",
    "open_blob_store",
    "open_clickhouse",
    "open_redis",
    "over_distributed",
    "pending_migrations",
    "redis_errors",
    "render_context",
    "render_statements",
    "sha256_hex",
    "translate_redis_error",
]
