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

Every verdict and cost comes from `dealsignal bots check` (load_tests/ imports none of the
service). Columns: `before` is crawlerdetect alone, the user-agent list on main before isbot
was added; `isbot` is the second list alone; `now` is the verdict a link click gets,
uncached (scanner gaps, headless markers, the in-app allow rule, crawlerdetect, isbot).
Recall = share of a crawler corpus flagged; false-flag rate = share of a people corpus flagged.

Costs are measured inside the command (`--timing-rounds`): the import of each list and its
first call (the compile); per UA, uncached, each column taking turns on a sample of each
corpus (best of a few calls per UA, so load from elsewhere falls on all alike); the cached
verdict; a few hostile 512-byte UAs (the longest `RequestMeta` keeps). The `is_bot` library's
own `Bots().is_bot` is timed here, in this process, on the same samples, for comparison.
Nothing is asserted: the figures go to `load_tests/README.md`.

In-sample caveat: isbot's own test suite checks the monperrus and matomo crawler lists
(omrilotan/isbot `fixtures/downloaded/`), so its recall there is in-sample. fake-useragent's
browsers are out of sample for both lists.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml_rs
from is_bot import Bots
from service import cli_json

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


def check(agents: Sequence[str], rounds: int = 0) -> dict[str, Any]:
    """`dealsignal bots check` on `agents` (one a line; newlines inside a UA become spaces)."""
    text = "".join(agent.replace("\n", " ").replace("\r", " ") + "\n" for agent in agents)
    with tempfile.TemporaryDirectory(prefix="ds-bench-bots-") as tmp:
        return dict(cli_json(Path(tmp), "bots", "check", "--timing-rounds", str(rounds),
                             stdin=text))  # fmt: skip


def library_cost_us(agents: Sequence[str], rounds: int) -> list[float]:
    """is_bot's own check, best of `rounds` calls per UA, in this process."""
    library = Bots()
    best = [float("inf")] * len(agents)
    for _ in range(rounds):
        for index, agent in enumerate(agents):
            started = time.perf_counter()
            library.is_bot(agent)
            best[index] = min(best[index], (time.perf_counter() - started) * 1e6)
    return best


def main() -> None:
    started = time.perf_counter()
    corpora = load_corpora()
    print(f"corpora loaded in {time.perf_counter() - started:.1f} s")
    names = {"before": "crawlerdetect", "isbot": "isbot", "now": "verdict"}
    verdicts: dict[tuple[str, str], list[bool]] = {}
    in_app: dict[str, list[bool]] = {}
    for corpus in corpora:
        rows = check(corpus.agents)["agents"]
        verdicts[(corpus.name, "before")] = [row["crawlerdetect"] for row in rows]
        verdicts[(corpus.name, "isbot")] = [row["isbot"] for row in rows]
        verdicts[(corpus.name, "now")] = [row["verdict"] != "none" for row in rows]
        in_app[corpus.name] = [row["in_app"] for row in rows]
    print()
    print(f"{'corpus':24} {'UAs':>6}  " + "  ".join(f"{name:>15}" for name in names))
    for corpus in corpora:
        cells = []
        for name in names:
            flags = verdicts[(corpus.name, name)]
            cells.append(f"{sum(flags):6} {100 * sum(flags) / len(flags):6.2f} %")
        kind = "recall" if corpus.crawlers else "false flags"
        print(f"{corpus.name:24} {len(corpus.agents):6}  " + "  ".join(cells) + f"   ({kind})")
        if corpus.weights:
            total = sum(corpus.weights)
            weighted = [
                sum(w for w, hit in zip(corpus.weights, verdicts[(corpus.name, name)],
                                        strict=True) if hit) / total
                for name in names
            ]  # fmt: skip
            print(f"{'  weighted by traffic':24} {'':6}  "
                  + "  ".join(f"{'':6} {100 * share:6.2f} %" for share in weighted))  # fmt: skip

    print()
    library = Bots()
    agreed = sum(
        ours == library.is_bot(agent)
        for corpus in corpora
        for agent, ours in zip(corpus.agents, verdicts[(corpus.name, "isbot")], strict=True)
    )
    total_agents = sum(len(corpus.agents) for corpus in corpora)
    print(f"isbot as compiled by dealsignal vs is_bot.Bots().is_bot: {agreed}/{total_agents} agree")

    print()
    for corpus in corpora:
        kept = [a for a, hit in zip(corpus.agents, in_app[corpus.name], strict=True) if hit]
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
    first = check(corpora[2].agents[:1], _COST_ROUNDS)
    print("start-up, inside `dealsignal bots check`, cold")
    for label, ms in first["startup_ms"].items():
        print(f"  {label:36} {ms:7.1f} ms")
    print(f"cached verdict (lru_cache hit): {first['cached_us']:.2f} us")
    print(
        f"cost per UA, uncached, in us: mean / median over up to {_COST_SAMPLE} UAs of each "
        f"corpus, best of {_COST_ROUNDS} calls per UA (is_bot lib: timed here, apart)"
    )
    columns = {"before": "crawlerdetect", "isbot": "isbot", "now": "verdict"}
    header = "  ".join(f"{name:>15}" for name in [*columns, "is_bot lib"])
    print(f"{'corpus':24} {'UAs':>6}  {header}  now/before")
    for corpus in corpora:
        sample = corpus.agents[:: max(1, len(corpus.agents) // _COST_SAMPLE)]
        rows = check(sample, _COST_ROUNDS)["agents"]
        costs = {label: [row["us"][key] for row in rows] for label, key in columns.items()}
        costs["is_bot lib"] = library_cost_us(sample, _COST_ROUNDS)
        cells = [f"{statistics.fmean(v):7.1f} /{statistics.median(v):6.1f}" for v in costs.values()]
        ratio = statistics.fmean(costs["now"]) / statistics.fmean(costs["before"])
        print(f"{corpus.name:24} {len(sample):6}  " + "  ".join(cells) + f"  {ratio:10.2f}")

    print("hostile 512-byte UAs, uncached, best of 3:  before (crawlerdetect)       now")
    hostile = check([agent[:512] for agent in _HOSTILE.values()], 3)["agents"]
    for label, row in zip(_HOSTILE, hostile, strict=True):
        print(f"  {label:30} {row['us']['crawlerdetect'] / 1000:16.1f} ms "
              f"{row['us']['verdict'] / 1000:12.1f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
