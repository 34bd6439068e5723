"""`dealsignal demo`: a realistic deal replayed against a running server over real HTTP.

With the admin key it makes a `reps` and a `crm` key, pushes an opportunity with three
contacts (and a meeting) through the CRM API, uploads a Chinese proposal PDF made with
reportlab (pricing page tagged), creates a tracked link per contact, then plays the buyers'
browsers exactly as the viewer page would: `GET /l/{token}` (keeps the `ds_vid` cookie),
`GET /v/{token}` (the viewer-session token from the viewer script's `data-session`), `POST /e`
beacons (`view_start`, 10 s `page_dwell` heartbeats, `visit_end`), a download, a forward (a
second cookie jar on the CTO's link) and a Slackbot unfurl (flagged, not counted). Sessions
happen "now" (the server stamps `received_at`); client timestamps carry plausible deltas.
It waits for the writer to land the events, then prints who read what and the opportunity's
engagement score with its reasons.

Clicks within 10 s of a link being created are treated as mail scanners by the ingest
verdict, so the people click only after `scanner_window` seconds (the Slackbot unfurl
happens at once, as Slack's does)."""

from __future__ import annotations

import asyncio
import io
import random
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Final

import httpx
import orjson
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from api.demo_stall import StallScene, run_stall_scene

__all__ = ["DemoSummary", "RecipientSummary", "proposal_pdf", "run_demo", "run_demo_sync"]

TITLE: Final = "《2027 年度合作方案》"
PRICING_PAGE: Final = 5
_FONT: Final = "STSong-Light"
_CHROME: Final = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
_SLACKBOT: Final = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"
_SESSION: Final = re.compile(r'<script[^>]*src="/static/viewer\.js"[^>]*data-session="([^"]+)"')
_PAGES: Final = (
    ("封面", "星辰智能制造有限公司 × dealsignal — 数字化销售协同项目"),
    (
        "项目背景",
        "贵司销售团队覆盖华东、华南两大区域，现有客户跟进依赖人工汇报，商机状态难以及时掌握。",
    ),
    ("解决方案", "统一文档追踪、客户阅读分析与商机健康度评分，与现有 CRM 双向同步。"),
    ("实施计划", "第一阶段两周完成部署与 CRM 对接；第二阶段四周完成全员培训与数据校准。"),
    (
        "报价",
        "标准版：每席位每年 ¥3,600；企业版：每席位每年 ¥5,800（含专属支持）。"
        "首年 120 席位合计 ¥696,000。",
    ),
    ("合作条款", "合同期三年，按年付款；服务等级协议 99.9%；数据存储于贵司自有服务器。"),
)


def proposal_pdf() -> bytes:
    """Six A4 pages in Chinese (reportlab's built-in STSong-Light CID font); page 5 is the
    pricing page."""
    pdfmetrics.registerFont(UnicodeCIDFont(_FONT))
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    canvas.setTitle(TITLE)
    for number, (heading, body) in enumerate(_PAGES, start=1):
        canvas.setFont(_FONT, 22)
        canvas.drawString(72, 770, TITLE if number == 1 else f"{number}. {heading}")
        canvas.setFont(_FONT, 12)
        for line in range(24):
            text = body if line % 3 == 0 else body[line % 7 :] + body[: line % 7]
            canvas.drawString(72, 730 - line * 24, text[:38])
        canvas.setFont(_FONT, 9)
        canvas.drawString(72, 40, f"第 {number} 页 / 共 {len(_PAGES)} 页 — 机密")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


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


@dataclass(frozen=True)
class _Reader:
    """One browser session: `pages` is [(page, seconds of active reading)]."""

    contact: int  # index into the contacts (the link they open)
    pages: list[tuple[int, float]]
    download: bool = False
    forwarded_to: str = ""  # a colleague who got the link forwarded (own browser)


_CONTACTS: Final = (
    ("王总", "CTO", True, "wang.zong"),
    ("李娜", "Procurement", False, "li.na"),
    ("陈静", "CFO", False, "chen.jing"),
)
_READERS: Final = (
    _Reader(0, [(1, 12), (2, 48), (3, 75), (4, 40), (5, 160), (6, 35)], download=True),
    _Reader(1, [(1, 8), (5, 95), (6, 70)]),
    _Reader(2, [(1, 6), (5, 24)]),
    _Reader(0, [(2, 30), (3, 62), (4, 55), (5, 40)], forwarded_to="刘工 (架构师)"),
)


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
        for i, (name, role, dm, mail) in enumerate(_CONTACTS)
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


async def _open(http: httpx.AsyncClient, token: str) -> str:
    """Click the tracked link, follow to the viewer, return the viewer-session token."""
    click = await http.get(f"/l/{token}")
    if click.status_code != 302:
        raise RuntimeError(f"tracked link answered {click.status_code}")
    page = await http.get(f"/v/{token}")
    found = _SESSION.search(page.text)
    if page.status_code != 200 or not found:
        raise RuntimeError(f"viewer page without a session ({page.status_code})")
    return found.group(1)


async def _beacon(http: httpx.AsyncClient, session: str, events: list[dict[str, Any]]) -> None:
    body = orjson.dumps({"s": session, "events": events})
    response = await http.post(
        "/e", content=body, headers={"Content-Type": "text/plain;charset=UTF-8"}
    )
    if response.status_code != 204:
        raise RuntimeError(f"beacon refused: {response.status_code} {response.text[:200]}")


async def _read(
    http: httpx.AsyncClient, token: str, reader: _Reader, rnd: random.Random, tick: Any
) -> int:
    """One browser session; returns beacons sent. Client time runs from (now − reading
    time) so every timestamp lies in the recent past, 10 s apart like real heartbeats."""
    session = await _open(http, token)
    total_ms = int(sum(seconds for _, seconds in reader.pages) * 1000)
    clock, seq, sent = int(time.time() * 1000) - total_ms - 5_000, 0, 0

    def event(kind: str, page: int, dwell: int = 0, **extra: Any) -> dict[str, Any]:
        nonlocal seq
        seq += 1
        return {
            "id": uuid.uuid4().hex,
            "t": kind,
            "p": page,
            "d": dwell,
            "q": seq - 1,
            "ts": clock,
            **extra,
        }

    await _beacon(
        http, session, [event("view_start", 1, sig={"wd": False, "sw": 1920, "sh": 1080, "pl": 5})]
    )
    sent += 1
    for page, seconds in reader.pages:
        left = int(seconds * 1000 * rnd.uniform(0.95, 1.05))
        while left > 0:
            step = min(left, 10_000)
            clock, left = clock + step, left - step
            await _beacon(http, session, [event("page_dwell", page, step)])
            sent += 1
            tick()
    if reader.download:
        response = await http.get(f"/v/{token}/download")
        if response.status_code != 200:
            raise RuntimeError(f"download answered {response.status_code}")
    await _beacon(http, session, [event("visit_end", reader.pages[-1][0])])
    return sent + 1


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
        async with httpx.AsyncClient(base_url=base_url, headers={"User-Agent": _SLACKBOT}) as slack:
            await slack.get(f"/l/{_token(links[0])}")  # an unfurl in the team's Slack channel
        await asyncio.sleep(max(0.0, scanner_window - (time.monotonic() - created)))
        beats = sum(-(-int(s * 1050) // 10_000) for r in _READERS for _, s in r.pages)
        beacons = 0
        with Progress(console=console, disable=not progress, transient=True) as bar:
            task = bar.add_task("Replaying buyers' browsers", total=beats)
            for reader in _READERS:
                headers = {"User-Agent": _CHROME, "Accept-Language": "zh-CN,zh;q=0.9"}
                async with httpx.AsyncClient(
                    base_url=base_url, headers=headers, timeout=30
                ) as browser:
                    beacons += await _read(
                        browser,
                        _token(links[reader.contact]),
                        reader,
                        rnd,
                        lambda: bar.advance(task),
                    )
        doc_id = made["document"]["document_id"]
        totals = await _landed(http, reps, doc_id, len(_READERS), timeout)
        recipients = []
        for link, (name, role, _, _) in zip(links, _CONTACTS, strict=True):
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
    )
    print_summary(console, summary)
    return summary


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
        *(f"p{n}" for n in range(1, len(_PAGES) + 1)),
        "downloads",
        "forwarded to",
    ):
        readers.add_column(column, justify="left" if column in ("recipient", "role") else "right")
    for r in s.recipients:
        pages = [
            f"{r.pages.get(n, 0) / 1000:.0f}s" + (" 💰" if n == PRICING_PAGE else "")
            for n in range(1, len(_PAGES) + 1)
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
    positive = "\n".join(f"+{f['contribution']:.0f} {f['summary']}" for f in score["top_positive"])
    negative = "\n".join(f"{f['contribution']:.0f} {f['summary']}" for f in score["top_negative"])
    table.add_row(f"{score['value']:.0f}", score["band"], positive or "—", negative or "—")
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


def run_demo_sync(
    base_url: str, admin_key: str, *, progress: bool = True, seed: int = 7
) -> DemoSummary:
    """For the CLI: `dealsignal demo` (the server must be running)."""
    return asyncio.run(run_demo(base_url, admin_key, progress=progress, seed=seed))
