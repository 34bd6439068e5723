"""What the document analytics page shows, assembled from `ingest.document_analytics`
(totals and per-recipient rollups) and the web repository's visit/viewer reads.

A visit is "in progress" when its last event arrived within three heartbeats (at least 45 s),
which is how a live visit appears on the page within one poll.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from api.i18n import Translator
from api.web.charts import BarChart, HeatStrip, bar_chart, heat_strip
from api.web.formatting import duration
from ingest import (
    AutomatedTraffic,
    VisitRow,
    automated_visits,
    document_analytics,
    document_viewers,
    link_analytics,
    recent_visits,
)
from tracker.clock import utcnow
from tracker.documents import Document
from tracker.links import Link, list_links
from tracker.scoring_settings import ReadingSettings
from tracker.stores import ClickHouse

__all__ = ["AnalyticsView", "RecipientRow", "analytics_view", "bot_reason_labels"]


def bot_reason_labels(translator: Translator) -> dict[str, str]:
    """`tracker.types.BotReason` codes as a rep reads them (the codes stay in the API)."""
    _ = translator.gettext
    return {
        "head_request": _("Link checker (looked without opening)"),
        "prefetch": _("Browser or mail app prefetch"),
        "bot_user_agent": _("Bot or link preview (Slack, WeChat, crawlers…)"),
        "scanner_timing": _("Mail security scanner (opened within seconds of sending)"),
        "headless": _("Automated browser"),
    }


@dataclass(frozen=True)
class RecipientRow:
    link: Link
    stats: dict[str, Any]
    last_at: datetime | None
    reading_now: bool


@dataclass(frozen=True)
class AnalyticsView:
    totals: dict[str, Any]
    pages_chart: BarChart
    heat: HeatStrip | None
    recipients: list[RecipientRow]
    viewers: list[dict[str, Any]]
    visits: list[tuple[VisitRow, Link | None, bool]]
    visits_chart: BarChart | None
    reading_now: int
    page_rows: list[dict[str, Any]]
    as_of: datetime
    pricing_pages: frozenset[int]
    automated: AutomatedTraffic  # kept out of every count above


def _label(link: Link | None) -> str:
    if link is None:
        return "?"
    return link.recipient_name or link.recipient_email


def _per_page(stats: dict[str, Any], pages: int) -> list[int]:
    dwell = [0] * pages
    for row in stats["pages"]:
        if 1 <= row["page"] <= pages:
            dwell[row["page"] - 1] = row["dwell_ms"]
    return dwell


def analytics_view(
    ch: ClickHouse,
    doc: Document,
    translator: Translator,
    heartbeat_seconds: int,
    reading: ReadingSettings,
    pricing_pages: frozenset[int] = frozenset(),
) -> AnalyticsView:
    _ = translator.gettext
    now = utcnow()
    live_window = timedelta(seconds=max(3 * heartbeat_seconds, 45))
    tenant = doc.tenant_id
    totals = document_analytics(ch, tenant, doc.document_id, reading)
    pages = int(totals["page_count"])
    links = {link.link_id: link for link in list_links(ch, tenant, document_id=doc.document_id)}
    viewer_rows = document_viewers(ch, tenant, doc.document_id)
    last_by_link: dict[str, datetime] = {}
    for row in viewer_rows:
        last = last_by_link.get(row["link_id"])
        last_by_link[row["link_id"]] = row["last_at"] if last is None else max(last, row["last_at"])
    recipients = []
    per_link = link_analytics(ch, tenant, doc.document_id, reading)
    for link_id, last_at in sorted(last_by_link.items(), key=lambda kv: kv[1], reverse=True):
        if link_id in links and link_id in per_link:
            stats = per_link[link_id]
            live = now - last_at <= live_window
            recipients.append(RecipientRow(links[link_id], stats, last_at, live))
    total_dwell = _per_page(totals, pages)
    pages_chart = bar_chart(
        [(str(i + 1), float(ms), duration(ms, translator)) for i, ms in enumerate(total_dwell)],
        duration(max(total_dwell, default=0), translator),
        marked={i for i in range(pages) if i + 1 in pricing_pages},
    )
    heat = None
    if recipients and pages:
        heat = heat_strip(
            pages,
            [
                (
                    _label(r.link),
                    [(float(ms), duration(ms, translator)) for ms in _per_page(r.stats, pages)],
                )
                for r in recipients
            ],
        )
    visit_rows = recent_visits(ch, tenant, scope="document_id", key=doc.document_id)
    per_day = Counter(v.started_at.date() for v in visit_rows)
    days = sorted(per_day)
    visits_chart = (
        bar_chart(
            [(d.strftime("%m-%d"), float(per_day[d]), str(per_day[d])) for d in days[-14:]],
            str(max(per_day.values())),
        )
        if days
        else None
    )
    ordinal: dict[str, int] = {}
    for row in viewer_rows:
        ordinal[row["link_id"]] = ordinal.get(row["link_id"], 0) + 1
        row["ordinal"] = ordinal[row["link_id"]]
        row["link"] = links.get(row["link_id"])
        row["reading_now"] = now - row["last_at"] <= live_window
    return AnalyticsView(
        totals=totals,
        pages_chart=pages_chart,
        heat=heat,
        recipients=recipients,
        viewers=viewer_rows,
        visits=[(v, links.get(v.link_id), now - v.last_at <= live_window) for v in visit_rows],
        visits_chart=visits_chart,
        reading_now=sum(1 for r in viewer_rows if r["reading_now"]),
        page_rows=[
            {"page": i + 1, "dwell": duration(ms, translator), "dwell_ms": ms}
            for i, ms in enumerate(total_dwell)
        ],
        as_of=now,
        pricing_pages=pricing_pages,
        automated=automated_visits(ch, tenant, doc.document_id),
    )
