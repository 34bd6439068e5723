"""Delivery channels. A channel turns one queued `Job` into one attempt and reports an
`Outcome`; the dispatcher owns the queue, retries and the delivery log. The `webhook` channel
is below; notification channels (WeCom, Feishu, Slack, email) implement the same protocol and
get their own queue by name.

Webhook attempt rules: 2xx → sent; 408, 429, 5xx, timeouts and connection errors → retry
(honouring a numeric `Retry-After`); any other status (3xx are not followed, 4xx) → failed,
not retried; a URL that no longer passes the SSRF guard → failed; a deleted subscription →
dropped. Response bodies are never read or stored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Final, Protocol

import httpx

from outbound.webhooks.addresses import (
    AllowList,
    InvalidWebhookUrl,
    UnresolvableWebhookHost,
    check_url,
)
from outbound.webhooks.crypto import SealedSecretError, SecretBox
from outbound.webhooks.emit import WEBHOOK_CHANNEL, SubscriptionCache
from outbound.webhooks.model import Job, Outcome, OutcomeKind
from outbound.webhooks.signing import SIGNATURE_HEADER, signature_header
from tracker.config import Settings

__all__ = ["Channel", "WebhookChannel", "classify_status"]

log = logging.getLogger("dealsignal.webhooks")

USER_AGENT: Final = "dealsignal-webhooks/1"
_RETRY_STATUSES: Final = frozenset({408, 429})


class Channel(Protocol):
    name: str

    async def deliver(self, job: Job) -> Outcome: ...

    async def aclose(self) -> None: ...


def classify_status(status: int) -> OutcomeKind:
    if 200 <= status < 300:
        return OutcomeKind.SENT
    if status in _RETRY_STATUSES or status >= 500:
        return OutcomeKind.RETRY
    return OutcomeKind.FAIL


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.strip().isdigit() else None


class WebhookChannel:
    name = WEBHOOK_CHANNEL

    def __init__(
        self,
        settings: Settings,
        cache: SubscriptionCache,
        box: SecretBox,
        *,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.settings = settings.webhooks
        self.cache = cache
        self.box = box
        self.allow = AllowList(self.settings.allow_private)
        self._own_client = client is None
        self.client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(self.settings.timeout_seconds),
            follow_redirects=False,
            trust_env=False,
            # No connection reuse: connections are opened to a pinned address with one host's
            # TLS name, and must not carry another host's delivery that resolves alike.
            limits=httpx.Limits(max_keepalive_connections=0),
            headers={"User-Agent": USER_AGENT},
        )

    async def aclose(self) -> None:
        if self._own_client:
            await self.client.aclose()

    async def deliver(self, job: Job) -> Outcome:
        sub = await self.cache.find(job.tenant_id, job.target_id)
        if sub is None:
            return Outcome(OutcomeKind.DROP, error="webhook subscription deleted")
        try:
            target = await asyncio.to_thread(check_url, sub.url, self.allow)
        except UnresolvableWebhookHost as exc:
            return Outcome(OutcomeKind.RETRY, error=f"{exc.code}: {exc.message}")
        except InvalidWebhookUrl as exc:
            return Outcome(OutcomeKind.FAIL, error=f"{exc.code}: {exc.message}")
        try:
            secret = self.box.open(sub.secret_sealed)
        except SealedSecretError as exc:
            log.error("webhook %s: cannot open its secret (%s)", sub.subscription_id, exc)
            return Outcome(OutcomeKind.FAIL, error="secret_unavailable")
        body = job.body.encode()
        headers = {
            "Host": target.host_header,
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE_HEADER: signature_header(secret, body),
            "Dealsignal-Event": job.event_type,
            "Dealsignal-Delivery": job.delivery_id,
            "Dealsignal-Attempt": str(job.attempt),
        }
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        started = time.perf_counter()
        last_error = ""
        for address in target.addresses:
            request = self.client.build_request(
                "POST",
                target.pinned_url(address),
                content=body,
                headers=headers,
                extensions=extensions,
            )
            try:
                async with asyncio.timeout(self.settings.timeout_seconds * 2):
                    response = await self.client.send(request, stream=True)
                    await response.aclose()
            except httpx.ConnectError as exc:
                last_error = f"connect_error: {exc}"
                continue  # try the host's next address
            except (httpx.TimeoutException, TimeoutError):
                return Outcome(OutcomeKind.RETRY, error="timeout", duration_ms=_ms(started))
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
                return Outcome(OutcomeKind.RETRY, error=error, duration_ms=_ms(started))
            kind = classify_status(response.status_code)
            return Outcome(
                kind,
                status_code=response.status_code,
                error="" if kind is OutcomeKind.SENT else f"HTTP {response.status_code}",
                retry_after=_retry_after(response),
                duration_ms=_ms(started),
            )
        return Outcome(OutcomeKind.RETRY, error=last_error[:500], duration_ms=_ms(started))


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
