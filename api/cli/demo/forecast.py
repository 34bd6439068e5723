"""The demo's forecast scene: 预测可信度指数 on two deals through the real API.

The demo deal (proposal stage) gets its signed NDA as stage evidence (商务谈判 requires one)
and one email the procurement lead started; with the CTO at the one meeting and no proposal
revision yet, its index is (40 + 100 + 0) / 3 = 46.7 < 60, so its forecast is × 0.7. A second,
livelier deal — four customer-initiated contacts, the decision-maker at both held meetings
(a third was cancelled), two revisions the CRM reported — scores (80 + 100 + 80) / 3 = 86.7
and keeps its forecast."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from api.cli.demo.proposal import proposal_pdf

__all__ = ["ForecastScene", "run_forecast_scene"]


@dataclass
class ForecastScene:
    forecasts: list[dict[str, Any]] = field(default_factory=list)


def _at(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def _lively_deal(opp_id: str) -> dict[str, Any]:
    return {
        "account": "海川新能源股份有限公司",
        "amount": "1280000",
        "currency": "CNY",
        "stage": "proposal",
        "expected_close_date": (datetime.now(UTC) + timedelta(days=25)).date().isoformat(),
        "probability": 50,
        "forecast_category": "commit",
        "owner": "zhang.wei@dealsignal-demo.example.cn",
        "manager": "zhou.min@dealsignal-demo.example.cn",
        "contacts": [
            {"id": f"{opp_id}-C1", "name": "孙总", "role": "CEO", "is_decision_maker": True},
            {"id": f"{opp_id}-C2", "name": "周工", "role": "技术负责人"},
        ],
        "updated_at": _at(0),
    }


def _lively_activities(opp_id: str) -> list[dict[str, Any]]:
    ceo, engineer = f"{opp_id}-C1", f"{opp_id}-C2"
    base = {"opportunity_id": opp_id}
    talk = [
        {**base, "id": f"{opp_id}-E{i}", "type": kind, "direction": "inbound",
         "occurred_at": _at(days), "subject": subject}
        for i, (kind, days, subject) in enumerate((
            ("email", 0.1, "关于交付周期的问题"), ("call", 6, "预算确认"),
            ("email", 11, "请更新报价"), ("email", 19, "技术方案细节"),
        ))
    ]  # fmt: skip
    meetings = [
        {**base, "id": f"{opp_id}-M{i}", "type": "meeting", "held": held,
         "attendees": attendees, "occurred_at": _at(days), "subject": subject}
        for i, (held, attendees, days, subject) in enumerate((
            (True, [ceo, engineer], 4, "商务谈判"), (True, [ceo], 15, "方案评审会"),
            (False, [engineer], 9, "技术交流（取消）"),
        ))
    ]  # fmt: skip
    revisions = [
        {**base, "id": f"{opp_id}-R{i}", "type": "proposal_revision", "occurred_at": _at(days),
         "subject": subject}
        for i, (days, subject) in enumerate(((3, "报价单 v3"), (12, "报价单 v2")))
    ]  # fmt: skip
    return talk + meetings + revisions


async def _nda(http: httpx.AsyncClient, crm: dict[str, str], opp_id: str) -> None:
    files = {"file": ("NDA-双方签字版.pdf", proposal_pdf(), "application/pdf")}
    response = await http.post(
        f"/api/v1/opportunities/{opp_id}/evidence",
        data={"kind": "nda_signed"},
        files=files,
        headers=crm,
    )
    response.raise_for_status()


async def run_forecast_scene(
    http: httpx.AsyncClient, crm_key: str, demo_opp: str, contact_id: str
) -> ForecastScene:
    crm = {"Authorization": f"Bearer {crm_key}"}
    lively = f"{demo_opp}-LIVELY"
    (await http.put(f"/api/v1/opportunities/{lively}", json=_lively_deal(lively),
                    headers=crm)).raise_for_status()  # fmt: skip
    email = {"id": f"{demo_opp}-E1", "opportunity_id": demo_opp, "type": "email",
             "direction": "inbound", "occurred_at": _at(1),
             "subject": f"付款条款能否调整？（{contact_id}）"}  # fmt: skip
    items = {"items": [email, *_lively_activities(lively)]}
    (await http.post("/api/v1/activities", json=items, headers=crm)).raise_for_status()
    scene = ForecastScene()
    for opp_id in (demo_opp, lively):
        await _nda(http, crm, opp_id)
        found = await http.get(f"/api/v1/opportunities/{opp_id}/forecast", headers=crm)
        found.raise_for_status()
        scene.forecasts.append(found.json())
    return scene
