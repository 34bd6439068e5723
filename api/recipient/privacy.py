"""The tenant's privacy notice on the buyer's side: what a viewer session may record, the
notice as the viewer and the email gate show it, and the buyer's answer.

    POST /s/{session}/consent    answer=granted|declined → {"session", "tracking"}

The answer is kept in Redis (`ds:consent:{tenant}:{link}`, viewer id → "granted|declined
{epoch ms}", `CONSENT_TTL_SECONDS`) and a refusal also in a cookie on the buyer's browser
(`ds_privacy_{link}`), so it holds across reloads even if the Redis entry is gone (an
erasure deletes it). The reply carries a new viewer-session token that says what the page
may now record: the beacon trusts only that signed token (`ingest.tracking_gate`).

Sec-GPC: 1 / DNT: 1 are read on the page request; when the tenant honours them the session
records the open only."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from api.i18n import Translator
from api.services import Services, ServicesDep
from tracker import redis_keys
from tracker.errors import BadRequest
from tracker.links import Link, get_link
from tracker.privacy import PrivacyMode, PrivacyNotice, get_privacy_notice, tracking_for
from tracker.types import Tracking

__all__ = ["ViewerPrivacy", "do_not_track", "notice_context", "router", "viewer_privacy"]

router = APIRouter(include_in_schema=False)

_ANSWERS = ("granted", "declined")
_COOKIE_SECONDS = 400 * 86_400


def _cookie(link_id: str) -> str:
    return f"ds_privacy_{link_id}"


def do_not_track(request: Request) -> bool:
    headers = request.headers
    return headers.get("sec-gpc", "").strip() == "1" or headers.get("dnt", "").strip() == "1"


@dataclass(frozen=True)
class ViewerPrivacy:
    notice: PrivacyNotice
    tracking: Tracking


async def _answer(services: Services, request: Request, link: Link, viewer_id: str) -> str:
    if request.cookies.get(_cookie(link.link_id)) == "declined":
        return "declined"
    key = redis_keys.viewer_consent(link.tenant_id, link.link_id)
    held = await services.redis.client.hget(key, viewer_id)
    text = held.decode() if isinstance(held, bytes) else str(held or "")
    return text.partition(" ")[0]


async def viewer_privacy(
    services: Services, request: Request, link: Link, viewer_id: str
) -> ViewerPrivacy:
    notice = await run_in_threadpool(get_privacy_notice, services.clickhouse, link.tenant_id)
    answer = await _answer(services, request, link, viewer_id)
    tracking = tracking_for(notice, answer=answer, do_not_track=do_not_track(request))
    return ViewerPrivacy(notice, tracking)


def notice_context(
    translator: Translator, privacy: ViewerPrivacy, consent_url: str = ""
) -> dict[str, Any]:
    """What viewer.html and gate.html render (autoescaped there: the text is the tenant's)."""
    _ = translator.gettext
    notice, tracking = privacy.notice, privacy.tracking
    shown = notice.mode is not PrivacyMode.OFF or tracking is not Tracking.ALL
    if notice.mode is PrivacyMode.OFF:
        default = ""  # shown only to say what GPC / DNT or a refusal left recorded
    elif notice.mode is PrivacyMode.NOTICE:
        default = _("The sender sees when you open this document and how long you read each page.")
    elif consent_url:
        default = _(
            "May the sender see how long you read each page? If you decline, only that "
            "you opened this document is shared."
        )
    else:  # the email gate: the question comes with the document
        default = _(
            "Before the sender sees how long you read each page, you will be asked to agree."
        )
    status = {
        Tracking.DECLINED: _(
            "You declined: only that you opened this document is shared with the sender."
        ),
        Tracking.OPTED_OUT: _(
            "Your browser asks not to be tracked: only that you opened this document is "
            "shared with the sender."
        ),
    }.get(tracking, "")
    return {
        "shown": shown,
        "text": (notice.text_for(translator.locale) or default) if default else "",
        "policy_url": notice.policy_url,
        "tracking": tracking.value,
        "status": status,
        "ask": tracking is Tracking.CONSENT_PENDING and bool(consent_url),
        "consent_url": consent_url,
    }


@router.post("/s/{session}/consent")
async def consent(
    session: str,
    request: Request,
    services: ServicesDep,
    answer: Annotated[str, Form(max_length=16)] = "",
) -> Response:
    if answer not in _ANSWERS:
        raise BadRequest("answer must be granted or declined", code="bad_consent_answer")
    claims = services.signer.read_viewer_session(session)  # 404 forged / 410 expired
    link = await run_in_threadpool(get_link, services.clickhouse, claims.tenant_id, claims.link_id)
    link.ensure_usable()  # a revoked or expired link takes no answers (410)
    key = redis_keys.viewer_consent(claims.tenant_id, claims.link_id)
    redis = services.redis.client
    async with redis.pipeline(transaction=False) as pipe:
        pipe.hset(key, claims.viewer_id, f"{answer} {time.time_ns() // 1_000_000}")
        pipe.expire(key, redis_keys.CONSENT_TTL_SECONDS)
        await pipe.execute()
    notice = await run_in_threadpool(get_privacy_notice, services.clickhouse, claims.tenant_id)
    tracking = tracking_for(notice, answer=answer, do_not_track=do_not_track(request))
    renewed = services.signer.viewer_session_token(dataclasses.replace(claims, tracking=tracking))
    response = JSONResponse(
        {"session": renewed, "tracking": tracking.value}, headers={"Cache-Control": "no-store"}
    )
    if answer == "declined":
        response.set_cookie(
            _cookie(link.link_id),
            "declined",
            max_age=_COOKIE_SECONDS,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    else:
        response.delete_cookie(_cookie(link.link_id))
    return response
