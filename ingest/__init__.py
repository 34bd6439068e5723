"""Event ingestion: the beacon model and validation, bot verdicts, enrichment, the Redis
stream buffer, the exactly-once batch writer into ClickHouse, and rollup analytics.

The API layer builds one `Ingestor` (with a `StreamBuffer`) and calls
`accept_beacon` / `accept_server_event`; `dealsignal writer` runs `Writer.run_forever`."""

from __future__ import annotations

from ingest.analytics import document_analytics, link_analytics
from ingest.bot_patterns import crawlerdetect_listed, in_app_browser, isbot_listed
from ingest.buffer import EventStream, StreamBuffer
from ingest.enrich import Enricher, EventContext, ip_key_from_secret, parse_user_agent
from ingest.entry import Entry
from ingest.erasure import (
    erase_person_events,
    forget_link_viewers,
    person_erasure_sql,
    person_events,
)
from ingest.model import (
    BEACON_EVENT_TYPES,
    EVENT_COLUMNS,
    Event,
    HeadlessSignals,
    RawBeacon,
    RawEvent,
    events_table,
)
from ingest.revocations import is_link_revoked, mark_link_revoked
from ingest.service import Ingestor, beacon_event_id
from ingest.validate import ValidBeacon, parse_beacon, validate_beacon
from ingest.verdict import RequestMeta, request_verdict, signals_verdict, user_agent_verdict
from ingest.visit_log import (
    AutomatedTraffic,
    VisitRow,
    automated_visits,
    document_viewers,
    recent_visits,
)
from ingest.visits import recognise_viewer
from ingest.writer import BatchListener, BatchResult, Writer, WriterStopped

__all__ = [
    "BEACON_EVENT_TYPES",
    "EVENT_COLUMNS",
    "AutomatedTraffic",
    "BatchListener",
    "BatchResult",
    "Enricher",
    "Entry",
    "Event",
    "EventContext",
    "EventStream",
    "HeadlessSignals",
    "Ingestor",
    "RawBeacon",
    "RawEvent",
    "RequestMeta",
    "StreamBuffer",
    "ValidBeacon",
    "VisitRow",
    "Writer",
    "WriterStopped",
    "automated_visits",
    "beacon_event_id",
    "crawlerdetect_listed",
    "document_analytics",
    "document_viewers",
    "erase_person_events",
    "events_table",
    "forget_link_viewers",
    "in_app_browser",
    "ip_key_from_secret",
    "is_link_revoked",
    "isbot_listed",
    "link_analytics",
    "mark_link_revoked",
    "parse_beacon",
    "parse_user_agent",
    "person_erasure_sql",
    "person_events",
    "recent_visits",
    "recognise_viewer",
    "request_verdict",
    "signals_verdict",
    "user_agent_verdict",
    "validate_beacon",
]
