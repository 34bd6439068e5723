"""`dealsignal demo`: a realistic deal replayed against a running server over real HTTP.

With the admin key it makes a `reps` and a `crm` key, pushes an opportunity with three
contacts (and a meeting) through the CRM API, uploads a Chinese proposal PDF
(`api.cli.demo.proposal`, pricing page tagged), creates a tracked link per contact, then plays
the buyers' browsers (`api.cli.demo.reading`): their reading sessions, a download, a forward (a
second cookie jar on the CTO's link) and a Slackbot unfurl (flagged, not counted). Sessions
happen "now" (the server stamps `received_at`); client timestamps carry plausible deltas.
It waits for the writer to land the events, shows the forecast credibility index of the demo
deal (below 60: × 0.7) beside a livelier one (`api.cli.demo.forecast`), plays the stalled deal
(`api.cli.demo.stall`), then prints who read what, the opportunity's engagement score with
its reasons and the two forecasts (`api.cli.demo.summary`).

Clicks within 10 s of a link being created are treated as mail scanners by the ingest
verdict, so the people click only after `scanner_window` seconds (the Slackbot unfurl
happens at once, as Slack's does)."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from typing import Any

import httpx
import orjson
from rich.console import Console
from rich.progress import Progress

from api.cli.demo.forecast import run_forecast_scene
from api.cli.demo.proposal import PRICING_PAGE, TITLE, proposal_pdf
from api.cli.demo.reading import CHROME, CONTACTS, READERS, SLACKBOT, expected_heartbeats, read
from api.cli.demo.stall import run_stall_scene
from api.cli.demo.summary import DemoSummary, RecipientSummary, print_summary

__all__ = ["run_demo", "run_demo_sync"]


async def _json(response: httpx.Response, expect: int = 200) -> Any:
    if response.status_code != expect:
        request = response.request
        raise RuntimeError(
            f"{request.method} {request.url.path} → {response.status_code}: {response.text[:300]}"
        )
    return response.json()


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def _setup(
    http: httpx.AsyncClient, admin_key: str, opp_id: str
) -> tuple[str, str, dict[str, Any]]:
    keys = []
    for scope in ("reps", "crm"):
        made = await _json(
            await http.post(
                "/api/v1/keys",
                json={"scope": scope, "name": f"demo {scope}"},
                headers=_bearer(admin_key),
            ),
            201,
        )
        keys.append(made["key"])
    reps, crm = keys
    now = time.time()
    contacts = [
        {
            "id": f"{opp_id}-C{i + 1}",
            "name": name,
            "email": f"{mail}@xingchen-mfg.example.cn",
            "role": role,
            "is_decision_maker": dm,
        }
        for i, (name, role, dm, mail) in enumerate(CONTACTS)
    ]
    iso = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(now))
    opportunity = {
        "account": "星辰智能制造有限公司",
        "amount": "696000",
        "currency": "CNY",
        "stage": "proposal",
        "stage_entered_at": iso,
        "expected_close_date": time.strftime("%Y-%m-%d", time.gmtime(now + 30 * 86400)),
        "probability": 50,
        "forecast_category": "best_case",
        "owner": "zhang.wei@dealsignal-demo.example.cn",
        "manager": "zhou.min@dealsignal-demo.example.cn",
        "contacts": contacts,
        "updated_at": iso,
    }
    await _json(
        await http.put(f"/api/v1/opportunities/{opp_id}", json=opportunity, headers=_bearer(crm))
    )
    meeting = {
        "id": f"{opp_id}-M1",
        "opportunity_id": opp_id,
        "type": "meeting",
        "occurred_at": iso,
        "attendees": [contacts[0]["id"], contacts[1]["id"]],
        "subject": "方案评审会",
    }
    await _json(
        await http.post("/api/v1/activities", json={"items": [meeting]}, headers=_bearer(crm))
    )
    files = {"file": ("2027-proposal.pdf", proposal_pdf(), "application/pdf")}
    form = {
        "title": TITLE,
        "opportunity_id": opp_id,
        "page_tags": orjson.dumps({str(PRICING_PAGE): ["pricing"]}).decode(),
    }
    doc = await _json(
        await http.post("/api/v1/documents", files=files, data=form, headers=_bearer(reps)), 201
    )
    recipients = [
        {"email": c["email"], "name": c["name"], "role": c["role"], "contact_id": c["id"]}
        for c in contacts
    ]
    body = {
        "document_id": doc["document_id"],
        "recipients": recipients,
        "opportunity_id": opp_id,
        "locale": "zh_CN",
    }
    links = await _json(await http.post("/api/v1/links", json=body, headers=_bearer(reps)), 201)
    return reps, crm, {"document": doc, "links": links["links"]}


def _token(link: dict[str, Any]) -> str:
    return str(link["url"]).rstrip("/").rsplit("/", 1)[-1]


async def _landed(
    http: httpx.AsyncClient, reps: str, doc_id: str, views: int, timeout: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        stats: dict[str, Any] = await _json(
            await http.get(f"/api/v1/documents/{doc_id}/analytics", headers=_bearer(reps))
        )
        if stats["views"] >= views and stats["bot_events"] >= 1 and stats["downloads"] >= 1:
            return stats
        if time.monotonic() > deadline:
            raise RuntimeError(f"events did not land within {timeout:.0f} s: {stats}")
        await asyncio.sleep(0.3)


async def run_demo(
    base_url: str,
    admin_key: str,
    *,
    progress: bool = True,
    seed: int = 7,
    console: Console | None = None,
    scanner_window: float = 10.5,
    timeout: float = 60.0,
) -> DemoSummary:
    """Replay the demo deal against the server at `base_url`; print and return the summary."""
    console = console or Console()
    rnd = random.Random(seed)
    opp_id = f"DEMO-{time.strftime('%Y%m%d')}-{uuid.uuid4().hex[:6]}"
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        reps, crm, made = await _setup(http, admin_key, opp_id)
        links, created = made["links"], time.monotonic()
        async with httpx.AsyncClient(base_url=base_url, headers={"User-Agent": SLACKBOT}) as slack:
            await slack.get(f"/l/{_token(links[0])}")  # an unfurl in the team's Slack channel
        await asyncio.sleep(max(0.0, scanner_window - (time.monotonic() - created)))
        beacons = 0
        with Progress(console=console, disable=not progress, transient=True) as bar:
            task = bar.add_task("Replaying buyers' browsers", total=expected_heartbeats())
            for reader in READERS:
                headers = {"User-Agent": CHROME, "Accept-Language": "zh-CN,zh;q=0.9"}
                async with httpx.AsyncClient(
                    base_url=base_url, headers=headers, timeout=30
                ) as browser:
                    beacons += await read(
                        browser,
                        _token(links[reader.contact]),
                        reader,
                        rnd,
                        lambda: bar.advance(task),
                    )
        doc_id = made["document"]["document_id"]
        totals = await _landed(http, reps, doc_id, len(READERS), timeout)
        recipients = []
        for link, (name, role, _, _) in zip(links, CONTACTS, strict=True):
            stats = await _json(
                await http.get(
                    f"/api/v1/documents/{doc_id}/analytics",
                    params={"link_id": link["id"]},
                    headers=_bearer(reps),
                )
            )
            recipients.append(
                RecipientSummary(
                    name,
                    role,
                    link["id"],
                    stats["views"],
                    stats["visits"],
                    stats["dwell_ms"],
                    {p["page"]: p["dwell_ms"] for p in stats["pages"]},
                    stats["downloads"],
                    stats["forwarded_viewers"],
                )
            )
        engagement = await _json(
            await http.get(f"/api/v1/opportunities/{opp_id}/engagement", headers=_bearer(crm))
        )
        forecast = await run_forecast_scene(http, crm, opp_id, f"{opp_id}-C2")
        stall = await run_stall_scene(http, admin_key, crm, f"{opp_id}-STALLED")
    summary = DemoSummary(
        opp_id,
        doc_id,
        TITLE,
        recipients,
        totals["bot_events"],
        totals["bot_reasons"],
        totals["forwarded_viewers"],
        engagement,
        beacons,
        stall,
        forecast,
    )
    print_summary(console, summary)
    return summary


def run_demo_sync(
    base_url: str, admin_key: str, *, progress: bool = True, seed: int = 7
) -> DemoSummary:
    """For the CLI: `dealsignal demo` (the server must be running)."""
    return asyncio.run(run_demo(base_url, admin_key, progress=progress, seed=seed))
