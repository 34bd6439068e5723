"""Bot verdicts on user-agent corpora we did not write: recall, false flags, cost per UA.

    .venv/bin/python load_tests/bench_bots.py

Corpora, all shipped in packages of the `dev` extra:

- crawlers, monperrus: every `instances` UA of crawler-user-agents' JSON (the
  monperrus/crawler-user-agents list);
- crawlers, matomo: device-detector's `tests/fixtures/upstream/bots.yml` (the UAs matomo's
  Device Detector tests expect to be bots);
- people, fake-useragent: `data/browsers.jsonl`, real-browser UAs with their share of traffic
  (`percent`), also reported weighted by that share;
- people, matomo: the other device-detector fixtures whose client is a browser or a mobile app
  (real devices' UAs: in-app browsers, TVs, feature phones and odd builds among them).

Columns: `before` is crawlerdetect alone, the user-agent list on main before isbot was added;
`isbot` is the second list alone (`ingest.bot_patterns.isbot_listed`); `now` is
`ingest.user_agent_verdict` for a link click, uncached (scanner gaps, headless markers, the
in-app allow rule, crawlerdetect, isbot). Recall = share of a crawler corpus flagged;
false-flag rate = share of a people corpus flagged.

Costs are measured in this process: the import of each list and its first call (the compile);
per UA, uncached, each column and `is_bot.Bots().is_bot` taking turns on a sample of each
corpus (best of a few calls per UA, so load from elsewhere falls on all alike); the cached
verdict; a few hostile 512-byte UAs (the longest `RequestMeta` keeps). Nothing is asserted: the
figures go to `load_tests/README.md`.

In-sample caveat: isbot's own test suite checks the monperrus and matomo crawler lists
(omrilotan/isbot `fixtures/downloaded/`), so its recall there is in-sample. fake-useragent's
browsers are out of sample for both lists.
"""

from __future__ import annotations

import importlib
import json
import statistics
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

import yaml_rs

_COST_SAMPLE = 2000
_COST_ROUNDS = 3
_HOSTILE = {
    "512 x 'a'": "a" * 512,
    "'1.' x 256": "1." * 256,
    "'Mozilla/5.0 (' + 'x; ' x 166": "Mozilla/5.0 (" + "x; " * 166,
    "Chrome-like + 'google' x 80": "Mozilla/5.0 (X11; Linux x86_64) " + "google" * 80,
}


@dataclass(frozen=True, slots=True)
class Corpus:
    name: str
    crawlers: bool
    agents: tuple[str, ...]
    weights: tuple[float, ...] = ()  # share of traffic, where the corpus has one
    labels: tuple[str, ...] = ()  # client name, where the corpus has one


def load_corpora() -> list[Corpus]:
    monperrus = json.loads(
        files("crawleruseragents").joinpath("crawler-user-agents.json").read_text()
    )
    crawler_agents = sorted({ua for entry in monperrus for ua in entry.get("instances", [])})

    fixtures = files("device_detector").joinpath("tests/fixtures/upstream")
    matomo_bots: set[str] = set()
    matomo_people: dict[str, str] = {}
    for path in sorted(fixtures.iterdir(), key=lambda p: p.name):
        if not path.name.endswith(".yml"):
            continue
        rows: list[Any] = yaml_rs.loads(path.read_text()) or []
        for row in rows:
            agent = row.get("user_agent") if isinstance(row, dict) else None
            if not agent:
                continue
            if path.name == "bots.yml":
                matomo_bots.add(agent)
            elif (client := row.get("client") or {}).get("type") in ("browser", "mobile app"):
                matomo_people.setdefault(agent, str(client.get("name", "")))

    shares: Counter[str] = Counter()
    browsers = files("fake_useragent").joinpath("data/browsers.jsonl").read_text()
    for line in browsers.splitlines():
        if line.strip():
            row = json.loads(line)
            shares[row["useragent"]] += float(row.get("percent", 0.0))
    fake = sorted(shares)
    people = sorted(matomo_people)
    return [
        Corpus("crawlers, monperrus", True, tuple(crawler_agents)),
        Corpus("crawlers, matomo", True, tuple(sorted(matomo_bots))),
        Corpus("people, fake-useragent", False, tuple(fake), tuple(shares[ua] for ua in fake)),
        Corpus(
            "people, matomo", False, tuple(people), labels=tuple(matomo_people[ua] for ua in people)
        ),
    ]


def timed_ms(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def interleaved_cost_us(
    checks: dict[str, Callable[[str], object]], agents: Sequence[str], rounds: int
) -> dict[str, list[float]]:
    """Per UA, the best of `rounds` calls of each check. The checks take turns on each UA, so
    load from elsewhere on the machine falls on all of them alike."""
    best = {name: [float("inf")] * len(agents) for name in checks}
    for round_ in range(rounds):
        order = list(checks.items())
        if round_ % 2:
            order.reverse()
        for index, agent in enumerate(agents):
            for name, check in order:
                started = time.perf_counter()
                check(agent)
                elapsed = (time.perf_counter() - started) * 1e6
                best[name][index] = min(best[name][index], elapsed)
    return best


def main() -> None:
    # Imported here, in this order, so that each import and first call is timed cold.
    print("start-up, in this process, cold")
    patterns: Any = None

    def load_patterns() -> None:
        nonlocal patterns
        patterns = importlib.import_module("ingest.bot_patterns")

    warm = "Mozilla/5.0 (warm-up)"
    for label, action in (
        ("import crawlerdetect", lambda: importlib.import_module("crawlerdetect")),
        ("import is_bot (and regex)", lambda: importlib.import_module("is_bot")),
        ("", load_patterns),  # the rest of ingest, not timed here
        ("crawlerdetect first call (compile)", lambda: patterns.crawlerdetect_listed(warm)),
        ("isbot first call (compile)", lambda: patterns.isbot_listed(warm.lower())),
    ):
        elapsed = timed_ms(action)
        if label:
            print(f"  {label:36} {elapsed:7.1f} ms")

    from is_bot import Bots

    from ingest import user_agent_verdict
    from tracker.types import BotReason, EventType

    uncached = user_agent_verdict.__wrapped__
    library = Bots()
    columns: dict[str, Callable[[str], bool]] = {
        "before": lambda agent: bool(patterns.crawlerdetect_listed(agent)),
        "isbot": lambda agent: bool(patterns.isbot_listed(agent.lower())),
        "now": lambda agent: uncached(agent, EventType.LINK_CLICK) is not BotReason.NONE,
    }

    started = time.perf_counter()
    corpora = load_corpora()
    print(f"corpora loaded in {time.perf_counter() - started:.1f} s")
    print()
    print(f"{'corpus':24} {'UAs':>6}  " + "  ".join(f"{name:>15}" for name in columns))
    verdicts: dict[tuple[str, str], list[bool]] = {}
    for corpus in corpora:
        cells = []
        for name, check in columns.items():
            flags = [check(agent) for agent in corpus.agents]
            verdicts[(corpus.name, name)] = flags
            cells.append(f"{sum(flags):6} {100 * sum(flags) / len(flags):6.2f} %")
        kind = "recall" if corpus.crawlers else "false flags"
        print(f"{corpus.name:24} {len(corpus.agents):6}  " + "  ".join(cells) + f"   ({kind})")
        if corpus.weights:
            total = sum(corpus.weights)
            weighted = [
                sum(
                    weight
                    for weight, hit in zip(
                        corpus.weights, verdicts[(corpus.name, name)], strict=True
                    )
                    if hit
                )
                / total
                for name in columns
            ]
            print(
                f"{'  weighted by traffic':24} {'':6}  "
                + "  ".join(f"{'':6} {100 * share:6.2f} %" for share in weighted)
            )

    print()
    agreed = total_agents = 0
    for corpus in corpora:
        agreed += sum(
            ours == library.is_bot(agent)
            for agent, ours in zip(corpus.agents, verdicts[(corpus.name, "isbot")], strict=True)
        )
        total_agents += len(corpus.agents)
    print(f"isbot as compiled here vs is_bot.Bots().is_bot: {agreed}/{total_agents} agree")

    print()
    for corpus in corpora:
        kept = [agent for agent in corpus.agents if patterns.in_app_browser(agent.lower())]
        role = "crawler UAs it let through" if corpus.crawlers else "people's UAs it kept"
        print(f"in-app allow rule on {corpus.name:24} {len(kept):5} ({role})")
        if corpus.crawlers:
            for agent in kept:
                print(f"    {agent[:150]}")

    print()
    for corpus in corpora:
        now_flags = verdicts[(corpus.name, "now")]
        if corpus.crawlers:
            missed = [agent for agent, hit in zip(corpus.agents, now_flags, strict=True) if not hit]
            print(f"{corpus.name}: still missed {len(missed)}")
            for agent in missed[:12]:
                print(f"    {agent[:150]}")
            continue
        before_flags = verdicts[(corpus.name, "before")]
        labels = corpus.labels or tuple(agent[:60] for agent in corpus.agents)
        newly = Counter(
            label
            for label, hit, old in zip(labels, now_flags, before_flags, strict=True)
            if hit and not old
        )
        print(f"{corpus.name}: newly flagged {sum(newly.values())}, by client")
        for label, count in newly.most_common(12):
            print(f"    {count:4}  {label}")

    print()
    costs: dict[str, Callable[[str], object]] = {
        **columns,
        "is_bot lib": library.is_bot,
    }
    print(
        f"cost per UA, uncached, in us: mean / median over up to {_COST_SAMPLE} UAs of each "
        f"corpus, best of {_COST_ROUNDS} calls per UA, the checks taking turns"
    )
    header = "  ".join(f"{name:>15}" for name in costs)
    print(f"{'corpus':24} {'UAs':>6}  {header}  now/before")
    for corpus in corpora:
        step = max(1, len(corpus.agents) // _COST_SAMPLE)
        sample = corpus.agents[::step]
        best = interleaved_cost_us(costs, sample, _COST_ROUNDS)
        means = {name: statistics.fmean(values) for name, values in best.items()}
        cells = [
            f"{means[name]:7.1f} /{statistics.median(values):6.1f}" for name, values in best.items()
        ]
        ratio = means["now"] / means["before"]
        print(f"{corpus.name:24} {len(sample):6}  " + "  ".join(cells) + f"  {ratio:10.2f}")

    agent = corpora[2].agents[0]
    user_agent_verdict(agent, EventType.LINK_CLICK)
    hits = 100_000
    started = time.perf_counter()
    for _ in range(hits):
        user_agent_verdict(agent, EventType.LINK_CLICK)
    cached = (time.perf_counter() - started) / hits * 1e6
    print(f"cached verdict (lru_cache hit): {cached:.2f} us")
    print("hostile 512-byte UAs, uncached, best of 3:  before (crawlerdetect)       now")
    for label, hostile in _HOSTILE.items():
        best = interleaved_cost_us(
            {"before": columns["before"], "now": columns["now"]}, [hostile[:512]], 3
        )
        print(f"  {label:30} {best['before'][0] / 1000:16.1f} ms {best['now'][0] / 1000:12.1f} ms")


if __name__ == "__main__":
    main()
