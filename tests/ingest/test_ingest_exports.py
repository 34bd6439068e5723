from __future__ import annotations

import ast
from pathlib import Path

import ingest

EXPECTED = {
    "VisitRow",
    "automated_visits",
    "AutomatedTraffic",
    "document_viewers",
    "recent_visits",
    "recognise_viewer",
    "BEACON_EVENT_TYPES",
    "EVENT_COLUMNS",
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
    "Writer",
    "WriterStopped",
    "beacon_event_id",
    "document_analytics",
    "events_table",
    "ip_key_from_secret",
    "is_link_revoked",
    "link_analytics",
    "mark_link_revoked",
    "parse_beacon",
    "parse_user_agent",
    "request_verdict",
    "signals_verdict",
    "user_agent_verdict",
    "validate_beacon",
    # the user-agent lists, for `dealsignal bots check`
    "crawlerdetect_listed",
    "in_app_browser",
    "isbot_listed",
    # a person's own events and viewer state (export, erasure)
    "erase_person_events",
    "forget_link_viewers",
    "person_erasure_sql",
    "person_events",
}


def test_public_names_are_pinned() -> None:
    assert set(ingest.__all__) == EXPECTED
    assert all(hasattr(ingest, name) for name in ingest.__all__)


def test_ingest_imports_only_tracker() -> None:
    root = Path(ingest.__file__).parent
    for module in root.rglob("*.py"):
        tree = ast.parse(module.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                banned = {"api", "outbound", "watermark", "scoring", "fastapi", "starlette"}
                assert top not in banned, module
        assert "__all__" in module.read_text(), module
