"""ClickHouse access for notification configuration: channels, routing rules, preferences
and mutes (ReplacingMergeTree entities read with FINAL). Every query filters on tenant
(except the operator's start-up reseal, which rewrites every tenant's sealed configs)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import pyarrow as pa

from outbound.notify.model import ChannelConfig, ChannelKind, Preferences, RoutingRule
from outbound.webhooks import SealedSecretError, SecretBox
from tracker.clock import TS, utcnow, version_now
from tracker.stores import ClickHouse

__all__ = [
    "get_channel",
    "list_channels",
    "list_preferences",
    "list_rules",
    "muted_by",
    "muted_deals",
    "reseal_channel_configs",
    "write_channel",
    "write_mute",
    "write_preferences",
    "write_rule",
]

_CHANNEL_COLUMNS = (
    "tenant_id, channel_id, kind, owner, name, locale, config_sealed, config_hint, "
    "created_at, deleted"
)


def write_channel(ch: ClickHouse, c: ChannelConfig) -> None:
    ch.insert(
        "notify_channels",
        pa.table(
            {
                "tenant_id": [c.tenant_id],
                "channel_id": [c.channel_id],
                "kind": [c.kind.value],
                "owner": [c.owner],
                "name": [c.name],
                "locale": [c.locale],
                "config_sealed": [c.config_sealed],
                "config_hint": [c.config_hint],
                "created_at": pa.array([c.created_at], TS),
                "deleted": pa.array([int(c.deleted)], pa.uint8()),
                "version": pa.array([version_now()], pa.uint64()),
            }
        ),
    )


def _channel(row: dict[str, Any]) -> ChannelConfig:
    return ChannelConfig(
        **{**row, "kind": ChannelKind(row["kind"]), "deleted": bool(row["deleted"])}
    )


def list_channels(
    ch: ClickHouse, tenant_id: str, *, owner: str | None = None, include_deleted: bool = False
) -> list[ChannelConfig]:
    where = "tenant_id = {tenant_id:String}"
    if owner is not None:
        where += " AND owner = {owner:String}"
    if not include_deleted:
        where += " AND deleted = 0"
    rows = ch.query(
        f"SELECT {_CHANNEL_COLUMNS} FROM {ch.database}.notify_channels FINAL WHERE {where} "
        "ORDER BY created_at, channel_id",
        {"tenant_id": tenant_id, "owner": owner or ""},
    )
    return [_channel(r) for r in rows]


def get_channel(ch: ClickHouse, tenant_id: str, channel_id: str) -> ChannelConfig | None:
    """The channel, deleted or not; None when unknown."""
    rows = ch.query(
        f"SELECT {_CHANNEL_COLUMNS} FROM {ch.database}.notify_channels FINAL "
        "WHERE tenant_id = {tenant_id:String} AND channel_id = {channel_id:String}",
        {"tenant_id": tenant_id, "channel_id": channel_id},
    )
    return _channel(rows[0]) if rows else None


def reseal_channel_configs(ch: ClickHouse, box: SecretBox) -> int:
    """Rewrite every live channel whose config is sealed the old way (or not under the
    newest deployment secret), across tenants; the number rewritten."""
    rows = ch.query(
        f"SELECT {_CHANNEL_COLUMNS} FROM {ch.database}.notify_channels FINAL WHERE deleted = 0"
    )
    fresh = []
    for channel in (_channel(r) for r in rows):
        if not box.needs_reseal(channel.config_sealed):
            continue
        try:
            fresh.append(replace(channel, config_sealed=box.seal(box.open(channel.config_sealed))))
        except SealedSecretError:
            continue
    for channel in fresh:
        write_channel(ch, channel)
    return len(fresh)


def write_rule(ch: ClickHouse, r: RoutingRule) -> None:
    ch.insert(
        "notify_routes",
        pa.table(
            {
                "tenant_id": [r.tenant_id],
                "rule_id": [r.rule_id],
                "channel_id": [r.channel_id],
                "event_types": pa.array([list(r.event_types)], pa.list_(pa.string())),
                "audiences": pa.array([list(r.audiences)], pa.list_(pa.string())),
                "created_at": pa.array([r.created_at], TS),
                "deleted": pa.array([int(r.deleted)], pa.uint8()),
                "version": pa.array([version_now()], pa.uint64()),
            }
        ),
    )


def list_rules(
    ch: ClickHouse, tenant_id: str, *, include_deleted: bool = False
) -> list[RoutingRule]:
    where = "tenant_id = {tenant_id:String}" + ("" if include_deleted else " AND deleted = 0")
    rows = ch.query(
        "SELECT tenant_id, rule_id, channel_id, event_types, audiences, created_at, deleted "
        f"FROM {ch.database}.notify_routes FINAL WHERE {where} ORDER BY created_at, rule_id",
        {"tenant_id": tenant_id},
    )
    return [
        RoutingRule(
            **{
                **r,
                "event_types": tuple(r["event_types"]),
                "audiences": tuple(r["audiences"]),
                "deleted": bool(r["deleted"]),
            }
        )
        for r in rows
    ]


def write_preferences(ch: ClickHouse, p: Preferences) -> None:
    ch.insert(
        "notify_preferences",
        pa.table(
            {
                "tenant_id": [p.tenant_id],
                "email": [p.email],
                "time_zone": [p.time_zone],
                "quiet_start": pa.array([p.quiet_start], pa.uint16()),
                "quiet_end": pa.array([p.quiet_end], pa.uint16()),
                "locale": [p.locale],
                "briefing": pa.array([int(p.briefing)], pa.uint8()),
                "updated_at": pa.array([utcnow()], TS),
                "version": pa.array([version_now()], pa.uint64()),
            }
        ),
    )


def list_preferences(
    ch: ClickHouse, tenant_id: str, emails: Iterable[str] | None = None
) -> dict[str, Preferences]:
    """Stored preferences by email (people without a row are absent)."""
    params: dict[str, Any] = {"tenant_id": tenant_id}
    where = "tenant_id = {tenant_id:String}"
    if emails is not None:
        where += " AND has(splitByChar(',', {emails:String}), email)"
        params["emails"] = ",".join(sorted({e for e in emails if "," not in e}))
    rows = ch.query(
        "SELECT tenant_id, email, time_zone, quiet_start, quiet_end, locale, briefing "
        f"FROM {ch.database}.notify_preferences FINAL WHERE {where}",
        params,
    )
    return {r["email"]: Preferences(**{**r, "briefing": bool(r["briefing"])}) for r in rows}


def write_mute(
    ch: ClickHouse, tenant_id: str, email: str, opportunity_id: str, *, muted: bool
) -> None:
    ch.insert(
        "notify_mutes",
        pa.table(
            {
                "tenant_id": [tenant_id],
                "email": [email],
                "opportunity_id": [opportunity_id],
                "muted": pa.array([int(muted)], pa.uint8()),
                "at": pa.array([utcnow()], TS),
                "version": pa.array([version_now()], pa.uint64()),
            }
        ),
    )


def muted_by(ch: ClickHouse, tenant_id: str, opportunity_id: str) -> set[str]:
    """Who muted this deal."""
    rows = ch.query(
        f"SELECT email FROM {ch.database}.notify_mutes FINAL "
        "WHERE tenant_id = {tenant_id:String} AND opportunity_id = {opportunity_id:String} "
        "AND muted = 1",
        {"tenant_id": tenant_id, "opportunity_id": opportunity_id},
    )
    return {str(r["email"]) for r in rows}


def muted_deals(ch: ClickHouse, tenant_id: str, email: str) -> list[str]:
    rows = ch.query(
        f"SELECT opportunity_id FROM {ch.database}.notify_mutes FINAL "
        "WHERE tenant_id = {tenant_id:String} AND email = {email:String} AND muted = 1 "
        "ORDER BY opportunity_id",
        {"tenant_id": tenant_id, "email": email},
    )
    return [str(r["opportunity_id"]) for r in rows]
