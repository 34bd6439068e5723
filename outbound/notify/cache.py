"""A short-lived cache of channel configs, shared by the outbox pump and the senders."""

from __future__ import annotations

import asyncio
import time

from outbound.notify.model import ChannelConfig
from outbound.notify.store import get_channel
from tracker.stores import ClickHouse

__all__ = ["ChannelCache"]


class ChannelCache:
    def __init__(self, ch: ClickHouse, seconds: float) -> None:
        self.ch = ch
        self.seconds = seconds
        self._items: dict[tuple[str, str], tuple[float, ChannelConfig | None]] = {}

    async def find(self, tenant_id: str, channel_id: str) -> ChannelConfig | None:
        """The live channel, or None when unknown or deleted."""
        key = (tenant_id, channel_id)
        hit = self._items.get(key)
        if hit is not None and time.monotonic() - hit[0] < self.seconds:
            return hit[1]
        found = await asyncio.to_thread(get_channel, self.ch, tenant_id, channel_id)
        live = found if found is not None and not found.deleted else None
        self._items[key] = (time.monotonic(), live)
        return live
