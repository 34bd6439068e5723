"""Managing channels, routing rules, preferences and mutes: validation, sealing of secrets,
and the store calls. Robot URLs and SMTP relays pass the same SSRF guard as webhooks; the
URL (its key is in it), the Feishu signing secret and the SMTP password are sealed at rest
and never returned or logged — listings show `config_hint` only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

import orjson

from outbound.notify.messages import LOCALES
from outbound.notify.model import AUDIENCES, ChannelConfig, ChannelKind, NotifyEvent, RoutingRule
from outbound.notify.routing import WILDCARD
from outbound.notify.store import get_channel, list_rules, write_channel, write_rule
from outbound.webhooks import InvalidWebhookUrl, SecretBox, check_host, check_url
from tracker.clock import utcnow
from tracker.config import Settings, resolve_secret_keys
from tracker.errors import BadRequest, NotFound
from tracker.ids import new_id
from tracker.stores import ClickHouse

__all__ = ["create_channel", "create_rule", "delete_channel", "delete_rule", "open_config"]

_SMTP_SECURITY = ("starttls", "ssl", "none")


def _new(prefix: str) -> str:
    return f"{prefix}_{new_id('event').partition('_')[2]}"


def _box(settings: Settings) -> SecretBox:
    return SecretBox(resolve_secret_keys(settings))


def open_config(box: SecretBox, channel: ChannelConfig) -> dict[str, Any]:
    config: dict[str, Any] = orjson.loads(box.open(channel.config_sealed))
    return config


def _robot_config(settings: Settings, url: str, secret: str) -> tuple[dict[str, Any], str]:
    check_url(url, settings.webhooks.allow_private)
    parts = urlsplit(url)
    hint = f"{parts.scheme}://{parts.hostname}{parts.path[:24]}…"
    config: dict[str, Any] = {"url": url.strip()}
    if secret:
        config["secret"] = secret
        hint += " (signed)"
    return config, hint


def _smtp_port(raw: object) -> int:
    """An integer or a string of digits; `"abc"`, `[1]`, `1e400` (a float: infinity) and
    booleans are refused with the config's code rather than a 500."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        return int(raw.strip()[:6])
    raise BadRequest("smtp port must be a whole number 1-65535", code="invalid_smtp_config")


def _smtp_config(settings: Settings, smtp: dict[str, Any]) -> tuple[dict[str, Any], str]:
    host = str(smtp.get("host", "")).strip()
    sender = str(smtp.get("sender", "")).strip()
    security = str(smtp.get("security", "starttls"))
    port = _smtp_port(smtp.get("port", 587))
    if not host or "@" not in sender or security not in _SMTP_SECURITY or not 0 < port < 65536:
        raise BadRequest(
            "email channels need smtp host, port, sender and security (starttls | ssl | none)",
            code="invalid_smtp_config",
        )
    try:  # an SMTP relay inside the network is as much an SSRF as a webhook there
        check_host(host, port, settings.webhooks.allow_private)
    except InvalidWebhookUrl as exc:
        raise BadRequest(exc.message, code=f"smtp_{exc.code}", **exc.details) from exc
    config = {
        "host": host,
        "port": port,
        "security": security,
        "sender": sender,
        "sender_name": str(smtp.get("sender_name", "")),
        "username": str(smtp.get("username", "")),
        "password": str(smtp.get("password", "")),
    }
    return config, f"{sender} via {host}:{port} ({security})"


def create_channel(
    ch: ClickHouse,
    settings: Settings,
    tenant_id: str,
    *,
    kind: str,
    name: str = "",
    owner: str = "",
    locale: str = "",
    url: str = "",
    secret: str = "",
    smtp: dict[str, Any] | None = None,
) -> ChannelConfig:
    try:
        channel_kind = ChannelKind(kind)
    except ValueError as exc:
        raise BadRequest(f"unknown channel kind {kind!r}", code="invalid_channel_kind") from exc
    if locale and locale not in LOCALES:
        raise BadRequest(f"locale must be one of {', '.join(LOCALES)}", code="invalid_locale")
    if channel_kind is ChannelKind.EMAIL:
        if owner:
            raise BadRequest("email relays are tenant-wide", code="invalid_channel_owner")
        config, hint = _smtp_config(settings, smtp or {})
    else:
        if channel_kind is not ChannelKind.FEISHU and secret:
            raise BadRequest("only Feishu bots take a signing secret", code="invalid_secret")
        config, hint = _robot_config(settings, url, secret)
    channel = ChannelConfig(
        tenant_id=tenant_id,
        channel_id=_new("nch"),
        kind=channel_kind,
        owner=owner.strip().lower(),
        name=name.strip()[:200],
        locale=locale,
        config_sealed=_box(settings).seal(orjson.dumps(config).decode()),
        config_hint=hint,
        created_at=utcnow(),
    )
    write_channel(ch, channel)
    return channel


def _live_channel(ch: ClickHouse, tenant_id: str, channel_id: str) -> ChannelConfig:
    found = get_channel(ch, tenant_id, channel_id)
    if found is None or found.deleted:
        raise NotFound("unknown notification channel", code="channel_not_found")
    return found


def delete_channel(ch: ClickHouse, tenant_id: str, channel_id: str) -> ChannelConfig:
    channel = _live_channel(ch, tenant_id, channel_id)
    write_channel(ch, replace(channel, deleted=True))
    return channel


def create_rule(
    ch: ClickHouse,
    tenant_id: str,
    *,
    channel_id: str,
    event_types: Sequence[str],
    audiences: Sequence[str],
) -> RoutingRule:
    _live_channel(ch, tenant_id, channel_id)
    known = {e.value for e in NotifyEvent} | {WILDCARD}
    unknown = sorted(set(event_types) - known)
    if unknown or not event_types:
        raise BadRequest(
            f"unknown event types {unknown}; known: {sorted(known)}", code="invalid_event_type"
        )
    if not audiences or set(audiences) - AUDIENCES:
        raise BadRequest("audiences: rep and/or manager", code="invalid_audience")
    rule = RoutingRule(
        tenant_id=tenant_id,
        rule_id=_new("nrl"),
        channel_id=channel_id,
        event_types=tuple(dict.fromkeys(event_types)),
        audiences=tuple(dict.fromkeys(audiences)),
        created_at=utcnow(),
    )
    write_rule(ch, rule)
    return rule


def delete_rule(ch: ClickHouse, tenant_id: str, rule_id: str) -> None:
    found = [r for r in list_rules(ch, tenant_id) if r.rule_id == rule_id]
    if not found:
        raise NotFound("unknown routing rule", code="rule_not_found")
    write_rule(ch, replace(found[0], deleted=True))
