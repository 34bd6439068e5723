"""Routing: which configured channels get an event, addressed to whom.

Recipients are resolved from the opportunity: its rep (owner) and the rep's manager (the
opportunity's `manager`, else the rep's `manager_email` in `users`). A channel's routing rules
say which event types it receives and for which audiences (`rep`, `manager`); a channel with
no rules receives every event type for that type's default audiences (below). A person's own
channel (owner = their email) only carries messages addressed to them; a group robot carries
one message per event naming everybody it is for; the tenant's email relay sends one email
to each addressee. People who muted the deal are left out (a message left with nobody is
not sent)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from outbound.notify.model import Audience, ChannelConfig, ChannelKind, NotifyEvent, RoutingRule

__all__ = ["DEFAULT_AUDIENCES", "Route", "plan_routes"]

DEFAULT_AUDIENCES: Final[dict[str, frozenset[Audience]]] = {
    NotifyEvent.DOCUMENT_VIEWED: frozenset({Audience.REP}),
    NotifyEvent.LINK_DOWNLOADED: frozenset({Audience.REP}),
    NotifyEvent.LINK_FORWARDED: frozenset({Audience.REP}),
    NotifyEvent.OPPORTUNITY_STALLED: frozenset({Audience.REP, Audience.MANAGER}),
    NotifyEvent.HEALTH_RED: frozenset({Audience.REP, Audience.MANAGER}),
    NotifyEvent.CUSTOMER_UNANSWERED: frozenset({Audience.REP, Audience.MANAGER}),
    # Account band actions address the rep and, in the manager role, the second person the
    # action names: the presales colleague of a joint visit, the VP of an escalation.
    NotifyEvent.ACCOUNT_NURTURE: frozenset({Audience.REP}),
    NotifyEvent.ACCOUNT_JOINT_VISIT: frozenset({Audience.REP, Audience.MANAGER}),
    NotifyEvent.ACCOUNT_ESCALATED: frozenset({Audience.REP, Audience.MANAGER}),
    NotifyEvent.DAILY_BRIEFING: frozenset({Audience.REP}),
    NotifyEvent.PROCESS_REPORT: frozenset({Audience.MANAGER}),
    NotifyEvent.FORECAST_REPORT: frozenset({Audience.MANAGER}),
}
WILDCARD: Final = "*"


@dataclass(frozen=True)
class Route:
    channel: ChannelConfig
    addressees: tuple[str, ...]


def _audiences(event: str, channel: ChannelConfig, rules: Sequence[RoutingRule] | None) -> set[str]:
    if rules is None:
        return {a.value for a in DEFAULT_AUDIENCES.get(event, frozenset())}
    found: set[str] = set()
    for rule in rules:
        if event in rule.event_types or WILDCARD in rule.event_types:
            found.update(rule.audiences)
    return found


def plan_routes(
    event: str,
    recipients: Mapping[Audience, Sequence[str]],
    channels: Sequence[ChannelConfig],
    rules: Sequence[RoutingRule],
    muted: set[str] | frozenset[str] = frozenset(),
) -> list[Route]:
    by_channel: dict[str, list[RoutingRule]] = {}
    for rule in rules:
        if not rule.deleted:
            by_channel.setdefault(rule.channel_id, []).append(rule)
    routes: list[Route] = []
    for channel in channels:
        if channel.deleted:
            continue
        wanted = _audiences(event, channel, by_channel.get(channel.channel_id))
        people: list[str] = []
        for audience in Audience:
            if audience.value not in wanted:
                continue
            for email in recipients.get(audience, ()):
                if email and email not in muted and email not in people:
                    people.append(email)
        if channel.owner:
            people = [channel.owner] if channel.owner in people else []
        if not people:
            continue
        if channel.kind is ChannelKind.EMAIL:
            routes.extend(Route(channel, (person,)) for person in people)
        else:
            routes.append(Route(channel, tuple(people)))
    return routes
