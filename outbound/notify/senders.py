"""Robot channels for the webhook dispatcher: WeCom, Feishu and Slack (`Channel` protocol of
`outbound.webhooks`; the dispatcher owns retries and the delivery log).

A job's body is the channel's JSON body, rendered by the outbox pump; the Feishu sender
adds `timestamp` and `sign` at send time when the bot has a signing secret. The channel's
URL is opened from its sealed config, re-checked by the SSRF guard and connected to at the
vetted address. Robots answer HTTP 200 with an error code in the body, so the body (at most
64 KiB) is read: 0 → sent; rate-limited (WeCom 45009, Feishu 9499/11232) or busy → retry
after a minute; anything else (bad key, bad signature, keyword check) → failed."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Final

import httpx
import orjson

from outbound.notify.cache import ChannelCache
from outbound.notify.formats import feishu_sign
from outbound.notify.model import ChannelKind
from outbound.notify.service import open_config
from outbound.webhooks import (
    AllowList,
    InvalidWebhookUrl,
    Job,
    Outcome,
    OutcomeKind,
    SealedSecretError,
    SecretBox,
    UnresolvableWebhookHost,
    check_url,
    classify_status,
)
from tracker.config import Settings

__all__ = ["RobotChannel", "robot_outcome"]

log = logging.getLogger("dealsignal.notify")

_MAX_BODY: Final = 64 * 1024
_RATE_LIMITED: Final = {"wecom": {45009, -1}, "feishu": {9499, 11232, 11233}}


def robot_outcome(kind: str, status: int, body: bytes, duration_ms: int) -> Outcome:
    """The outcome of one robot POST from its status and body."""
    if not 200 <= status < 300:
        return Outcome(classify_status(status), status, f"HTTP {status}", duration_ms=duration_ms)
    if kind == ChannelKind.SLACK:
        return Outcome(OutcomeKind.SENT, status, duration_ms=duration_ms)
    try:
        answer: dict[str, Any] = orjson.loads(body)
    except orjson.JSONDecodeError:
        return Outcome(OutcomeKind.RETRY, status, "unreadable answer", duration_ms=duration_ms)
    code = int(answer.get("errcode", answer.get("code", answer.get("StatusCode", 0))) or 0)
    if code == 0:
        return Outcome(OutcomeKind.SENT, status, duration_ms=duration_ms)
    message = str(answer.get("errmsg", answer.get("msg", answer.get("StatusMessage", ""))))
    error = f"{kind} error {code}: {message[:200]}"
    if code in _RATE_LIMITED.get(kind, set()):
        return Outcome(OutcomeKind.RETRY, status, error, retry_after=60, duration_ms=duration_ms)
    return Outcome(OutcomeKind.FAIL, status, error, duration_ms=duration_ms)


class RobotChannel:
    def __init__(
        self,
        kind: ChannelKind,
        settings: Settings,
        cache: ChannelCache,
        box: SecretBox,
        *,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.name = kind.value
        self.kind = kind
        self.timeout = settings.webhooks.timeout_seconds
        self.allow = AllowList(settings.webhooks.allow_private)
        self.cache = cache
        self.box = box
        self._own_client = client is None
        self.client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(self.timeout),
            follow_redirects=False,
            trust_env=False,
            limits=httpx.Limits(max_keepalive_connections=0),
            headers={"User-Agent": "dealsignal-notify/1"},
        )

    async def aclose(self) -> None:
        if self._own_client:
            await self.client.aclose()

    async def deliver(self, job: Job) -> Outcome:
        channel = await self.cache.find(job.tenant_id, job.target_id)
        if channel is None:
            return Outcome(OutcomeKind.DROP, error="notification channel deleted")
        try:
            config = open_config(self.box, channel)
        except SealedSecretError:
            log.error("notification channel %s: cannot open its config", channel.channel_id)
            return Outcome(OutcomeKind.FAIL, error="secret_unavailable")
        try:
            target = await asyncio.to_thread(check_url, str(config["url"]), self.allow)
        except UnresolvableWebhookHost as exc:
            return Outcome(OutcomeKind.RETRY, error=exc.code)
        except InvalidWebhookUrl as exc:
            return Outcome(OutcomeKind.FAIL, error=exc.code)
        payload: dict[str, Any] = orjson.loads(job.body)
        if self.kind is ChannelKind.FEISHU and config.get("secret"):
            stamp = int(time.time())
            payload = {
                "timestamp": str(stamp),
                "sign": feishu_sign(stamp, config["secret"]),
                **payload,
            }
        headers = {"Host": target.host_header, "Content-Type": "application/json; charset=utf-8"}
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        started = time.perf_counter()
        error = ""
        for address in target.addresses:
            request = self.client.build_request(
                "POST",
                target.pinned_url(address),
                content=orjson.dumps(payload),
                headers=headers,
                extensions=extensions,
            )
            try:
                async with asyncio.timeout(self.timeout * 2):
                    response = await self.client.send(request, stream=True)
                    body = b""
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > _MAX_BODY:
                            break
                    await response.aclose()
            except httpx.ConnectError:
                error = "connect_error"
                continue
            except (httpx.TimeoutException, TimeoutError):
                return Outcome(OutcomeKind.RETRY, error="timeout", duration_ms=_ms(started))
            except httpx.HTTPError as exc:
                return Outcome(
                    OutcomeKind.RETRY, error=type(exc).__name__, duration_ms=_ms(started)
                )
            return robot_outcome(self.name, response.status_code, body, _ms(started))
        return Outcome(OutcomeKind.RETRY, error=error, duration_ms=_ms(started))


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
