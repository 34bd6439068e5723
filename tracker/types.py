"""Shared, logic-free names used across packages."""

from __future__ import annotations

from enum import StrEnum
from typing import NewType

__all__ = [
    "ApiKeyId",
    "BotReason",
    "ContactId",
    "DocumentId",
    "EventId",
    "EventType",
    "LinkId",
    "OpportunityId",
    "Scope",
    "TenantId",
    "Tracking",
    "VersionId",
    "ViewerId",
    "VisitId",
]

TenantId = NewType("TenantId", str)
ApiKeyId = NewType("ApiKeyId", str)
DocumentId = NewType("DocumentId", str)
VersionId = NewType("VersionId", str)
LinkId = NewType("LinkId", str)
OpportunityId = NewType("OpportunityId", str)
ContactId = NewType("ContactId", str)
ViewerId = NewType("ViewerId", str)
VisitId = NewType("VisitId", str)
EventId = NewType("EventId", str)


class Scope(StrEnum):
    """What an API key may do; `admin` implies every other scope."""

    REPS = "reps"
    CRM = "crm"
    ADMIN = "admin"

    def allows(self, required: Scope) -> bool:
        return self is Scope.ADMIN or self is required


class EventType(StrEnum):
    LINK_CLICK = "link_click"
    PIXEL_OPEN = "pixel_open"
    VIEW_START = "view_start"
    PAGE_DWELL = "page_dwell"
    VISIT_END = "visit_end"
    DOWNLOAD = "download"
    HEADLESS_SIGNAL = "headless_signal"


class Tracking(StrEnum):
    """What a viewer session may record (the tenant's privacy notice, issue 18). Carried in
    the signed viewer-session token, so the beacon decides without a store read; everything
    but `all` records the open only."""

    ALL = "all"
    CONSENT_PENDING = "consent_pending"  # the tenant asks for consent; not given (yet)
    DECLINED = "declined"  # the buyer refused; remembered for that viewer
    OPTED_OUT = "opted_out"  # Sec-GPC: 1 or DNT: 1, and the tenant honours them


class BotReason(StrEnum):
    """Why an event was flagged as automated; `none` means a person."""

    NONE = "none"
    HEAD_REQUEST = "head_request"
    PREFETCH = "prefetch"
    BOT_USER_AGENT = "bot_user_agent"
    SCANNER_TIMING = "scanner_timing"
    HEADLESS = "headless"
    # Not automation, but not to be counted either (ingest.visits, ingest.writer):
    DWELL_OVER_CLOCK = "dwell_over_clock"  # more active time than the visit's wall clock
    LINK_REVOKED = "link_revoked"  # arrived after the link was revoked
