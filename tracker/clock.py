"""Time helpers: one notion of "now" and of entity versions."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pyarrow as pa

__all__ = ["TS", "utcnow", "version_now"]

# Arrow type of every DateTime64(3, 'UTC') column.
TS = pa.timestamp("ms", tz="UTC")


def utcnow() -> datetime:
    return datetime.now(UTC)


def version_now() -> int:
    """Entity version for ReplacingMergeTree: microseconds, so two writes in one
    millisecond still order."""
    return time.time_ns() // 1_000
