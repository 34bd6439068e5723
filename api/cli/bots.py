"""`dealsignal bots check`: the user-agent verdict a beacon would get, for a list of user
agents — which list flagged each (crawlerdetect, isbot), whether the in-app-browser rule kept
it as a person — and, when asked, what each check costs per UA, uncached, in this process."""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import typer

from tracker.types import BotReason, EventType

__all__ = ["bots_app"]

bots_app = typer.Typer(help="Check user agents against the bot verdicts.", no_args_is_help=True)


def _ms(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return round((time.perf_counter() - started) * 1000, 3)


def _best_us(
    checks: dict[str, Callable[[str], object]], agents: Sequence[str], rounds: int
) -> list[dict[str, float]]:
    """Per UA, the best of `rounds` calls of each check; the checks take turns on each UA (in
    alternating order) so load from elsewhere on the machine falls on all of them alike."""
    best = [dict.fromkeys(checks, float("inf")) for _ in agents]
    for round_ in range(rounds):
        order = list(checks.items())
        if round_ % 2:
            order.reverse()
        for index, agent in enumerate(agents):
            for name, check in order:
                started = time.perf_counter()
                check(agent)
                elapsed = (time.perf_counter() - started) * 1e6
                best[index][name] = min(best[index][name], round(elapsed, 2))
    return best


@bots_app.command("check")
def check(
    path: Path | None = typer.Argument(None, help="user agents, one a line (default: stdin)"),
    event: EventType = typer.Option(EventType.LINK_CLICK, help="the event the UA sent"),
    timing_rounds: int = typer.Option(0, min=0, max=20, help="time each check, best of N"),
) -> None:
    """Prints one JSON object: `agents` (per UA: `verdict`, `crawlerdetect`, `isbot`,
    `in_app`, and with --timing-rounds `us` per check: crawlerdetect, isbot, the verdict);
    with timing also `startup_ms` (each list's import and first call, cold) and `cached_us`."""
    startup: dict[str, float] = {}
    if timing_rounds:  # before anything imports them, so the figures are cold
        startup["import crawlerdetect"] = _ms(lambda: importlib.import_module("crawlerdetect"))
        startup["import is_bot"] = _ms(lambda: importlib.import_module("is_bot"))
    import ingest

    warm = "Mozilla/5.0 (warm-up)"
    if timing_rounds:
        startup["crawlerdetect first call"] = _ms(lambda: ingest.crawlerdetect_listed(warm))
        startup["isbot first call"] = _ms(lambda: ingest.isbot_listed(warm.lower()))
    text = path.read_text() if path is not None else sys.stdin.read()
    agents = [line for line in text.splitlines() if line]
    uncached = ingest.user_agent_verdict.__wrapped__
    rows: list[dict[str, object]] = [
        {
            "user_agent": agent,
            "verdict": uncached(agent, event).value,
            "crawlerdetect": ingest.crawlerdetect_listed(agent),
            "isbot": ingest.isbot_listed(agent.lower()),
            "in_app": ingest.in_app_browser(agent.lower()),
        }
        for agent in agents
    ]
    report: dict[str, object] = {"agents": rows}
    if timing_rounds:
        checks: dict[str, Callable[[str], object]] = {
            "crawlerdetect": ingest.crawlerdetect_listed,
            "isbot": lambda agent: ingest.isbot_listed(agent.lower()),
            "verdict": lambda agent: uncached(agent, event) is not BotReason.NONE,
        }
        for row, cost in zip(rows, _best_us(checks, agents, timing_rounds), strict=True):
            row["us"] = cost
        report["startup_ms"] = startup
        report["cached_us"] = _cached_us(agents[0] if agents else warm, event)
    typer.echo(json.dumps(report, ensure_ascii=False))


def _cached_us(agent: str, event: EventType) -> float:
    import ingest

    ingest.user_agent_verdict(agent, event)
    hits = 100_000
    started = time.perf_counter()
    for _ in range(hits):
        ingest.user_agent_verdict(agent, event)
    return round((time.perf_counter() - started) / hits * 1e6, 3)
