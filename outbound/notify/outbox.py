"""The notification outbox and its pump.

`Notifier.publish` resolves an event's recipients (the deal's rep and manager), plans the
routes (`routing`) and queues one `Notice` per route in the outbox — a `DeliveryQueue` of its
own, so it inherits atomic dedupe (one notice set per event key, even from racing
producers), leases and at-least-once hand-off. A notice can be due later: the first-view
message waits `view_delay_seconds` after the visit starts.

`Notifier.pump_once` claims due notices and, for each: drops it if every addressee has since
muted the deal or the channel was deleted; holds it until the quiet hours of its first
addressee end; otherwise renders it (the read time of a visit is measured now), reserves a
rate-limit slot for the channel and queues the delivery on the channel's dispatcher queue,
due at that slot (deduped by notice id, so a pump dying mid-hand-off never sends twice).
Deferrals never count as attempts; the dispatcher logs real attempts in `delivery_log`."""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import orjson
import redis.asyncio as aioredis
from itsdangerous import BadSignature, URLSafeSerializer

import outbound.notify.facts_store as facts
from outbound.notify.cache import ChannelCache
from outbound.notify.formats import email_parts, feishu_body, slack_body, wecom_body
from outbound.notify.messages import LOCALES, Message, text
from outbound.notify.model import Audience, ChannelConfig, ChannelKind, Notice
from outbound.notify.preferences import quiet_until
from outbound.notify.rates import RateLimiter
from outbound.notify.rendering import render
from outbound.notify.routing import plan_routes
from outbound.notify.store import list_channels, list_preferences, list_rules, muted_by
from outbound.webhooks import DeliveryQueue, Job
from outbound.webhooks.queue import now_ms
from tracker.clock import utcnow
from tracker.config import Settings, resolve_secret_keys
from tracker.errors import NotFound
from tracker.notify_settings import NotifySettings
from tracker.stores import ClickHouse, FileBlobStore
from tracker.tenants import get_tenant

__all__ = ["OUTBOX", "Notifier", "read_mute_token"]

OUTBOX: Final = "outbox"
_MUTE_SALT: Final = "notify-mute"


def read_mute_token(settings: Settings, token: str) -> tuple[str, str, str] | None:
    """(tenant, email, opportunity) from a mute link's token; None if forged."""
    try:
        tenant, email, opp = URLSafeSerializer(
            resolve_secret_keys(settings)[::-1], salt=_MUTE_SALT
        ).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return str(tenant), str(email), str(opp)


# The chart follows its message a moment later: a dispatcher sends what is due in one batch
# concurrently, and the reader should see the text first.
_IMAGE_AFTER_MS: Final = 1000


class Notifier:
    def __init__(
        self,
        settings: Settings,
        redis: aioredis.Redis,
        ch: ClickHouse,
        *,
        notify: NotifySettings | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """`clock` decides quiet hours and when outbox notices are due (tests move it)."""
        self.settings = settings
        self.clock = clock
        self.ns = notify or settings.notify
        self.ch = ch
        self.outbox = DeliveryQueue(redis, self.ns.outbox_queue, OUTBOX)
        self.queues = {
            k: DeliveryQueue(redis, settings.webhooks.queue, k.value) for k in ChannelKind
        }
        self.rates = RateLimiter(redis, self.ns.outbox_queue)
        self.cache = ChannelCache(ch, self.ns.cache_seconds)
        self._mute = URLSafeSerializer(resolve_secret_keys(settings)[::-1], salt=_MUTE_SALT)

    async def _db(self, fn: Any, *args: Any) -> Any:
        return await asyncio.to_thread(fn, self.ch, *args)

    async def recipients(
        self, tenant_id: str, opportunity_id: str, owner: str = "", manager: str | None = ""
    ) -> dict[Audience, list[str]]:
        """The deal's rep and manager (given, else from the opportunity, else the rep's
        manager in `users`); `manager=None` means nobody in the manager role."""
        if opportunity_id and not (owner and manager is not None):
            deal = await self._db(facts.deal_facts, tenant_id, opportunity_id)
            if deal is not None:
                owner = owner or deal.owner
                manager = manager if manager is None else manager or deal.manager
        if owner and manager == "":
            person = (await self._db(facts.people, tenant_id, [owner])).get(owner)
            manager = person.manager_email if person else ""
        return {
            Audience.REP: [owner] if owner else [],
            Audience.MANAGER: [manager] if manager else [],
        }

    async def publish(
        self,
        tenant_id: str,
        event: str,
        facts_: dict[str, Any],
        *,
        dedupe_key: str,
        opportunity_id: str = "",
        owner: str = "",
        manager: str | None = "",
        delay_seconds: float = 0.0,
    ) -> int:
        """Queue the event's notices; the number queued (0 when nobody is to be told, or the
        key was seen before)."""
        recipients = await self.recipients(tenant_id, opportunity_id, owner, manager)
        channels: list[ChannelConfig] = await self._db(list_channels, tenant_id)
        if not channels:
            return 0
        rules = await self._db(list_rules, tenant_id)
        muted = await self._db(muted_by, tenant_id, opportunity_id) if opportunity_id else set()
        routes = plan_routes(event, recipients, channels, rules, muted)
        if not routes:
            return 0
        everyone = sorted({a for r in routes for a in r.addressees})
        names = {e: p.name for e, p in (await self._db(facts.people, tenant_id, everyone)).items()}
        prefs = await self._db(list_preferences, tenant_id, everyone)
        default = await self.tenant_locale(tenant_id)
        due = int(self.clock().timestamp() * 1000) + int(delay_seconds * 1000)
        jobs = []
        for route in routes:
            first = prefs.get(route.addressees[0])
            locale = route.channel.locale or (first.locale if first else "") or default
            raw = f"{tenant_id}|{event}|{dedupe_key}|{route.channel.channel_id}|{route.addressees}"
            notice = Notice(
                notice_id="ntf_" + hashlib.sha256(raw.encode()).hexdigest()[:24],
                tenant_id=tenant_id,
                event=event,
                channel_id=route.channel.channel_id,
                addressees=list(route.addressees),
                opportunity_id=opportunity_id,
                facts={**facts_, "names": {a: names.get(a, a) for a in route.addressees}},
                locale=locale,
                not_before_ms=due,
            )
            jobs.append(
                Job(
                    notice.notice_id,
                    OUTBOX,
                    tenant_id,
                    notice.channel_id,
                    notice.notice_id,
                    event,
                    notice.dumps(),
                    created_ms=now_ms(),
                )
            )
        queued = await self.outbox.enqueue(
            jobs,
            due_ms=due,
            dedupe_key=f"{tenant_id}:{event}:{dedupe_key}",
            dedupe_ttl_seconds=self.ns.dedupe_ttl_seconds,
        )
        return len(jobs) if queued else 0

    async def published(self, tenant_id: str, event: str, dedupe_key: str) -> bool:
        """Whether `publish` already queued this event under `dedupe_key`: a caller can skip
        building facts that would be dropped."""
        return await self.outbox.deduped(f"{tenant_id}:{event}:{dedupe_key}")

    async def tenant_locale(self, tenant_id: str) -> str:
        try:
            tenant = await self._db(get_tenant, tenant_id)
        except NotFound:
            return "zh_CN"
        locale = str(tenant.default_locale).replace("-", "_")
        return locale if locale in LOCALES else "zh_CN" if locale.startswith("zh") else "en"

    async def pump_once(self) -> int:
        """Hand every due notice on (or hold it); the number handled."""
        at_ms = int(self.clock().timestamp() * 1000)
        claims = await self.outbox.claim(
            self.ns.outbox_batch, self.ns.outbox_lease_seconds, at_ms=at_ms
        )
        for claim in claims:
            notice = Notice.loads(claim.job.body)
            muted = (
                await self._db(muted_by, notice.tenant_id, notice.opportunity_id)
                if notice.opportunity_id
                else set()
            )
            addressees = [a for a in notice.addressees if a not in muted]
            channel = await self.cache.find(notice.tenant_id, notice.channel_id)
            if not addressees or channel is None:
                await self.outbox.complete(claim)
                continue
            prefs = await self._db(list_preferences, notice.tenant_id, addressees[:1])
            now = self.clock()
            hold = quiet_until(prefs.get(addressees[0]), now, self.ns.default_time_zone)
            if hold is not None:
                await self.outbox.reschedule(claim, claim.job, int(hold.timestamp() * 1000))
                continue
            job = await self._delivery(notice, channel, addressees, now)
            # the message, then its chart where the channel shows images (each its own slot)
            for n, item in enumerate([job, *await self._image(notice, channel)]):
                slot = await self.rates.reserve(
                    channel.channel_id, self.ns.rate_limits.get(channel.kind.value, [])
                )
                await self.queues[channel.kind].enqueue(
                    [item],
                    due_ms=slot + n * _IMAGE_AFTER_MS,
                    dedupe_key=f"n:{notice.notice_id}" + (f":{n}" if n else ""),
                    dedupe_ttl_seconds=self.ns.dedupe_ttl_seconds,
                )
            await self.outbox.complete(claim)
        return len(claims)

    async def _image(self, notice: Notice, channel: ChannelConfig) -> list[Job]:
        """A WeCom robot `image` message with the notice's chart (a PNG blob named by
        `image_sha` in its facts); none for other channels, which carry the link."""
        digest = str(notice.facts.get("image_sha") or "")
        if channel.kind is not ChannelKind.WECOM or not digest:
            return []
        store = FileBlobStore(self.settings.data_dir / "blobs")
        png = await asyncio.to_thread(store.get, digest)
        body = {
            "msgtype": "image",
            "image": {
                "base64": base64.b64encode(png).decode(),
                "md5": hashlib.md5(png, usedforsecurity=False).hexdigest(),
            },
        }
        return [
            Job(
                delivery_id=f"{notice.notice_id}-img",
                channel=channel.kind.value,
                tenant_id=notice.tenant_id,
                target_id=channel.channel_id,
                event_id=f"{notice.notice_id}-img",
                event_type=notice.event,
                body=orjson.dumps(body).decode(),
                created_ms=now_ms(),
            )
        ]

    async def _delivery(
        self, notice: Notice, channel: ChannelConfig, addressees: Sequence[str], now: datetime
    ) -> Job:
        f = dict(notice.facts)
        f.setdefault("now", now.isoformat())
        if notice.event == "document.viewed" and f.get("visit_id"):
            reading = await self._db(
                facts.visit_reading,
                notice.tenant_id,
                f["link_id"],
                f["visit_id"],
                self.settings.scoring.reading,
            )
            f["read_seconds"], f["read_pages"] = reading.seconds, reading.pages
        message = render(notice.locale, notice.event, f)
        names: dict[str, str] = f.get("names", {})
        mentions = [names.get(a, a) for a in addressees] if channel.kind.is_group else []
        mute_url = mute_label = ""
        if notice.opportunity_id and len(addressees) == 1:
            token = self._mute.dumps([notice.tenant_id, addressees[0], notice.opportunity_id])
            mute_url = f"{self.settings.public_base_url.rstrip('/')}/n/mute/{token}"
            mute_label = text(message.locale, "mute")
        message = Message(
            message.title, message.lines, mentions, mute_url, mute_label, message.locale
        )
        return Job(
            delivery_id=notice.notice_id,
            channel=channel.kind.value,
            tenant_id=notice.tenant_id,
            target_id=channel.channel_id,
            event_id=notice.notice_id,
            event_type=notice.event,
            body=_body(channel.kind, notice, message, addressees),
            created_ms=int(datetime.now(UTC).timestamp() * 1000),
        )


def _body(kind: ChannelKind, notice: Notice, message: Message, addressees: Sequence[str]) -> str:
    payload: dict[str, Any]
    if kind is ChannelKind.WECOM:
        payload = wecom_body(message)
    elif kind is ChannelKind.FEISHU:
        payload = feishu_body(message, notice.event)
    elif kind is ChannelKind.SLACK:
        payload = slack_body(message)
    else:
        subject, plain, page = email_parts(message)
        payload = {
            "to": addressees[0],
            "subject": subject,
            "text": plain,
            "html": page,
            "id": notice.notice_id,
        }
    return orjson.dumps(payload).decode()
