"""What `dealsignal demo` found, and how it is printed: who read what (per recipient and
page, pricing page marked), the bots left out of every number, the opportunity's engagement
score with its reasons, and the stalled deal's robot messages and manager to-dos."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table

from api.cli.demo.proposal import PAGE_COUNT, PRICING_PAGE
from api.cli.demo.stall import StallScene
from outbound.notify import band_name, code_label

#: The language of the demo's deal (a Chinese team's; its links are sent as zh_CN).
DEAL_LOCALE = "zh_CN"

__all__ = ["DemoSummary", "RecipientSummary", "print_stall", "print_summary", "print_tables"]


@dataclass
class RecipientSummary:
    name: str
    role: str
    link_id: str
    views: int = 0
    visits: int = 0
    dwell_ms: int = 0
    pages: dict[int, int] = field(default_factory=dict)  # page → dwell ms
    downloads: int = 0
    forwarded_viewers: int = 0


@dataclass
class DemoSummary:
    opportunity_id: str
    document_id: str
    title: str
    recipients: list[RecipientSummary]
    bot_events: int
    bot_reasons: dict[str, int]
    forwarded_viewers: int
    engagement: dict[str, Any]
    beacons_sent: int
    stall: StallScene | None = None


def _factor(factor: dict[str, Any]) -> str:
    return code_label(DEAL_LOCALE, f"factor.{factor['code']}", str(factor["summary"]))


def print_summary(console: Console, s: DemoSummary) -> None:
    print_tables(console, s)
    print_stall(console, s.stall)


def print_tables(console: Console, s: DemoSummary) -> None:
    readers = Table(title=f"Who read what — {s.title} ({s.document_id})")
    for column in (
        "recipient",
        "role",
        "views",
        "dwell",
        *(f"p{n}" for n in range(1, PAGE_COUNT + 1)),
        "downloads",
        "forwarded to",
    ):
        readers.add_column(column, justify="left" if column in ("recipient", "role") else "right")
    for r in s.recipients:
        pages = [
            f"{r.pages.get(n, 0) / 1000:.0f}s" + (" 💰" if n == PRICING_PAGE else "")
            for n in range(1, PAGE_COUNT + 1)
        ]
        readers.add_row(
            r.name,
            r.role,
            str(r.views),
            f"{r.dwell_ms / 1000:.0f}s",
            *pages,
            str(r.downloads),
            str(r.forwarded_viewers),
        )
    console.print(readers)
    reasons = ", ".join(f"{k}: {v}" for k, v in s.bot_reasons.items()) or "none"
    console.print(
        f"Bots flagged and left out of every number above: {s.bot_events} event(s) ({reasons})"
    )
    score = s.engagement["score"]
    table = Table(title=f"Engagement — opportunity {s.opportunity_id}")
    for column in ("value", "band", "why (top positive)", "watch (top negative)"):
        table.add_column(column)
    # the deal is a Chinese team's (its links are zh_CN): its reasons are read in Chinese
    positive = "\n".join(f"+{f['contribution']:.0f} {_factor(f)}" for f in score["top_positive"])
    negative = "\n".join(f"{f['contribution']:.0f} {_factor(f)}" for f in score["top_negative"])
    band = band_name(DEAL_LOCALE, str(score["band"]))
    table.add_row(f"{score['value']:.0f}", band, positive or "—", negative or "—")
    console.print(table)


def print_stall(console: Console, scene: StallScene | None) -> None:
    if scene is None:
        return
    if scene.skipped:
        console.print(
            f"[yellow]Stalled-deal alert skipped:[/] {scene.skipped} — let the server "
            "reach the local robot with DEALSIGNAL_WEBHOOKS__ALLOW_PRIVATE='[\"127.0.0.1/32\"]'"
        )
        return
    console.print(f"\n[bold]Stalled deal {scene.opportunity_id}[/]: what the WeCom group robot got")
    for message in scene.wecom_messages:
        console.print(message.get("markdown", {}).get("content", message), markup=False)
    for todo in scene.todos:
        console.print(
            f"Manager to-do for {todo['manager']}: {todo['title']} — {todo['detail']}", markup=False
        )
