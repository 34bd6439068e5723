"""The email channel: one message per addressee over the tenant's SMTP relay (stdlib
`smtplib` in a worker thread), plain text + HTML, UTF-8, non-ASCII headers RFC 2047-encoded.
SMTP 4xx replies, timeouts and connection errors are retried; 5xx replies (bad recipient,
auth failure) fail. The relay's host is vetted by the webhooks' SSRF guard before every
attempt and the connection goes to the vetted address (TLS still checks the host name), so
a relay whose name later resolves inside the network is refused, not talked to. The
relay's password is opened from the sealed config per attempt and never logged."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import time
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

import orjson

from outbound.notify.cache import ChannelCache
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
    check_host,
)

__all__ = ["EmailChannel", "build_email"]


def build_email(config: dict[str, Any], mail: dict[str, Any]) -> EmailMessage:
    message = EmailMessage()
    sender = str(config["sender"])
    local, _, domain = sender.partition("@")
    message["From"] = Address(str(config.get("sender_name", "")), local, domain)
    message["To"] = str(mail["to"])
    message["Subject"] = str(mail["subject"])
    message["Message-ID"] = make_msgid(idstring=str(mail.get("id", "")), domain=domain)
    message.set_content(str(mail["text"]), charset="utf-8")
    message.add_alternative(str(mail["html"]), subtype="html", charset="utf-8")
    return message


class _PinnedSMTP(smtplib.SMTP):
    """Connects to a vetted address; STARTTLS verifies the relay's host name."""

    def __init__(self, server_name: str, timeout: float) -> None:
        super().__init__(timeout=timeout)
        self.server_name = server_name

    def connect(self, host: str = "localhost", port: int = 0, source_address: Any = None) -> Any:
        reply = super().connect(host, port, source_address)
        self._host = self.server_name
        return reply


class _PinnedSMTPSSL(smtplib.SMTP_SSL):
    """Implicit TLS to a vetted address, verified against the relay's host name."""

    def __init__(self, server_name: str, timeout: float) -> None:
        super().__init__(timeout=timeout, context=ssl.create_default_context())
        self.server_name = server_name

    def _get_socket(self, host: str, port: int, timeout: float) -> Any:
        self._host = self.server_name
        return super()._get_socket(host, port, timeout)  # type: ignore[misc]


def _send(config: dict[str, Any], message: EmailMessage, timeout: float, allow: AllowList) -> None:
    host, port, security = str(config["host"]), int(config["port"]), config["security"]
    address = check_host(host, port, allow)[0]
    pinned = _PinnedSMTPSSL if security == "ssl" else _PinnedSMTP
    smtp: smtplib.SMTP = pinned(host, timeout)
    smtp.connect(address, port)
    with smtp:
        if security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        if config.get("username"):
            smtp.login(str(config["username"]), str(config["password"]))
        smtp.send_message(message)


class EmailChannel:
    name = "email"

    def __init__(
        self,
        cache: ChannelCache,
        box: SecretBox,
        allow_private: list[str],
        *,
        timeout: float = 15.0,
    ) -> None:
        self.cache = cache
        self.box = box
        self.allow = AllowList(allow_private)
        self.timeout = timeout

    async def aclose(self) -> None:
        return None

    async def deliver(self, job: Job) -> Outcome:
        channel = await self.cache.find(job.tenant_id, job.target_id)
        if channel is None:
            return Outcome(OutcomeKind.DROP, error="notification channel deleted")
        try:
            config = open_config(self.box, channel)
        except SealedSecretError:
            return Outcome(OutcomeKind.FAIL, error="secret_unavailable")
        message = build_email(config, orjson.loads(job.body))
        started = time.perf_counter()
        try:
            await asyncio.to_thread(_send, config, message, self.timeout, self.allow)
        except UnresolvableWebhookHost as exc:
            return Outcome(OutcomeKind.RETRY, error=exc.code, duration_ms=_ms(started))
        except InvalidWebhookUrl as exc:
            return Outcome(OutcomeKind.FAIL, error=exc.code, duration_ms=_ms(started))
        except smtplib.SMTPRecipientsRefused:
            return Outcome(OutcomeKind.FAIL, error="recipient refused", duration_ms=_ms(started))
        except smtplib.SMTPResponseException as exc:
            kind = OutcomeKind.RETRY if 400 <= exc.smtp_code < 500 else OutcomeKind.FAIL
            return Outcome(kind, error=f"SMTP {exc.smtp_code}", duration_ms=_ms(started))
        except (smtplib.SMTPException, OSError) as exc:
            return Outcome(OutcomeKind.RETRY, error=type(exc).__name__, duration_ms=_ms(started))
        return Outcome(OutcomeKind.SENT, 250, duration_ms=_ms(started))


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
