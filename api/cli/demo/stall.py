"""The demo's stalled deal: a WeCom group robot (a local receiver the demo starts) gets the
stall alert for the rep and their manager, and the manager gets a to-do — all through the
running server's REST API, as a tenant admin would set it up."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

__all__ = ["StallScene", "WeComReceiver", "run_stall_scene"]

REP, MANAGER = "zhang.wei@dealsignal-demo.example.cn", "li.jingli@dealsignal-demo.example.cn"


class WeComReceiver:
    """A stand-in for WeCom's group-robot endpoint on 127.0.0.1: records what it gets."""

    def __init__(self) -> None:
        received: list[dict[str, Any]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.append(json.loads(body))
                reply = b'{"errcode":0,"errmsg":"ok"}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.received = received
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/cgi-bin/webhook/send?key=demo"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass
class StallScene:
    opportunity_id: str
    skipped: str = ""  # why the scene could not run (e.g. loopback not allow-listed)
    wecom_messages: list[dict[str, Any]] = field(default_factory=list)
    todos: list[dict[str, Any]] = field(default_factory=list)


async def run_job(http: httpx.AsyncClient, name: str, headers: dict[str, str]) -> None:
    """Runs a scheduled job for the demo's tenant; a second demo within the job's cooldown
    waits it out (the 429's Retry-After) instead of failing."""
    for _ in range(3):
        answer = await http.post(f"/api/v1/jobs/{name}/run", headers=headers)
        if answer.status_code != 429:
            answer.raise_for_status()
            return
        await asyncio.sleep(min(float(answer.headers.get("Retry-After", "5")), 60.0))
    answer.raise_for_status()


def _stalled_deal(opp_id: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "account": "远航物流集团",
        "amount": "380000",
        "currency": "CNY",
        "stage": "negotiation",
        "stage_entered_at": (now - timedelta(days=21)).isoformat(),
        "expected_close_date": (now + timedelta(days=10)).date().isoformat(),
        "probability": 60,
        "forecast_category": "commit",
        "owner": REP,
        "manager": MANAGER,
        "contacts": [
            {
                "id": f"{opp_id}-C1",
                "name": "赵总",
                "email": "zhao@yuanhang.example.cn",
                "role": "CEO",
                "is_decision_maker": True,
            }
        ],
        "updated_at": (now - timedelta(days=5)).isoformat(),
    }


async def run_stall_scene(
    http: httpx.AsyncClient, admin: str, crm: str, opp_id: str, *, timeout: float = 30.0
) -> StallScene:
    scene, receiver = StallScene(opp_id), WeComReceiver()
    as_admin, as_crm = {"Authorization": f"Bearer {admin}"}, {"Authorization": f"Bearer {crm}"}
    try:
        channel = await http.post(
            "/api/v1/notifications/channels",
            json={"kind": "wecom", "name": "销售一组群", "url": receiver.url},
            headers=as_admin,
        )
        if channel.status_code != 201:
            scene.skipped = channel.json().get("error", {}).get("message", channel.text)
            return scene
        rule = {"channel_id": channel.json()["id"], "event_types": ["opportunity.stalled"]}
        (
            await http.post("/api/v1/notifications/rules", json=rule, headers=as_admin)
        ).raise_for_status()
        deal = _stalled_deal(opp_id)
        (
            await http.put(f"/api/v1/opportunities/{opp_id}", json=deal, headers=as_crm)
        ).raise_for_status()
        meeting = {
            "items": [
                {
                    "id": f"{opp_id}-M1",
                    "opportunity_id": opp_id,
                    "type": "meeting",
                    "occurred_at": deal["updated_at"],
                    "attendees": [f"{opp_id}-C1"],
                    "subject": "价格谈判",
                }
            ]
        }
        (await http.post("/api/v1/activities", json=meeting, headers=as_crm)).raise_for_status()
        await run_job(http, "stalls", as_admin)
        deadline = time.monotonic() + timeout
        while not receiver.received and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        scene.wecom_messages = list(receiver.received)
        todos = await http.get("/api/v1/notifications/todos", headers=as_admin)
        todos.raise_for_status()
        scene.todos = [t for t in todos.json() if t.get("opportunity_id") == opp_id]
        return scene
    finally:
        receiver.close()
