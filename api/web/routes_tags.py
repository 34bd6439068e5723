"""Page tags for people (近期密集查阅竞品页面 starts here): the tenant's tag definitions — what a
tag means, the engagement points its reading earns and the risk penalty when one person
reads it intensively (`engagement.page_tags` of the tenant's scoring settings) — and the
tags of a document's pages.

    GET  /app/tags                    the definitions (everyone); the form (admins)
    POST /app/tags                    add or change one definition, or remove it (admins)
    POST /app/documents/{id}/tags     the tags of the current version's pages: one checkbox
                                      list per known tag (`pricing` and the tenant's), each
                                      value a page number; tags set over the API that are
                                      not defined here are kept
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from api.services import Services, ServicesDep
from api.web.access import visible_document
from api.web.auth import CurrentUser, PostingUser, Viewer
from api.web.render import WebRoute, page
from tracker.documents import get_version, set_page_tags
from tracker.errors import BadRequest, Forbidden
from tracker.scoring_settings import PageTagWeight
from tracker.tenant_settings import put_tenant_settings, scoring_overrides
from tracker.users import Role

__all__ = ["PRICING", "TagChoice", "router", "tag_choices"]

router = APIRouter(prefix="/app", route_class=WebRoute, include_in_schema=False)

PRICING = "pricing"  # scored by its own engagement component, always offered
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@dataclass(frozen=True)
class TagChoice:
    name: str
    weight: PageTagWeight | None  # None: `pricing`, which has its own settings


async def tag_choices(services: Services, viewer: Viewer) -> list[TagChoice]:
    """`pricing`, then the tenant's own tags by name."""
    scoring = await services.scoring.get(services.clickhouse, viewer.tenant_id)
    tags = scoring.tuning.engagement.page_tags
    return [TagChoice(PRICING, None), *(TagChoice(n, tags[n]) for n in sorted(tags))]


def _admin(viewer: Viewer) -> None:
    if viewer.user.role is not Role.ADMIN:
        raise Forbidden("only an admin defines the tenant's page tags", code="not_an_admin")


def _number(form: Any, field: str, default: float) -> float:
    raw = str(form.get(field) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest(f"{field} must be a number", code="invalid_page_tag") from None
    if not 0 <= value <= 100:
        raise BadRequest(f"{field} must be between 0 and 100", code="invalid_page_tag")
    return value


@router.get("/tags")
async def definitions(request: Request, services: ServicesDep, viewer: CurrentUser) -> Response:
    choices = await tag_choices(services, viewer)
    return page(
        request,
        viewer,
        "web/tags.html",
        title=viewer.translator.gettext("Page tags"),
        tags=[c for c in choices if c.weight is not None],
        editable=viewer.user.role is Role.ADMIN,
    )


@router.post("/tags")
async def define(request: Request, services: ServicesDep, viewer: PostingUser) -> Response:
    _admin(viewer)
    form = await request.form()
    name = str(form.get("name") or "").strip().lower()
    if not _NAME.match(name) or name == PRICING:
        raise BadRequest(
            "a tag name is lower-case letters, digits and _ (not pricing)", code="invalid_page_tag"
        )
    ch, tenant = services.clickhouse, viewer.tenant_id
    overrides = await run_in_threadpool(scoring_overrides, ch, tenant)
    engagement = dict(overrides.get("engagement", {}))
    tags = dict(engagement.get("page_tags", {}))
    if form.get("remove"):
        tags.pop(name, None)
    else:
        meaning = str(form.get("meaning") or "").strip()
        if len(meaning) > 100:
            raise BadRequest("a meaning is at most 100 characters", code="invalid_page_tag")
        tags[name] = {
            "meaning": meaning,
            "weight": _number(form, "weight", 5.0),
            "risk_penalty": _number(form, "risk_penalty", 0.0),
        }
    engagement["page_tags"] = tags
    overrides["engagement"] = engagement
    try:
        services.settings.scoring.merged(overrides)
    except ValueError as exc:
        raise BadRequest(f"invalid page tag: {exc}", code="invalid_page_tag") from exc
    await run_in_threadpool(put_tenant_settings, ch, tenant, "scoring", overrides)
    services.scoring.forget(tenant)
    return RedirectResponse("/app/tags", status_code=303)


@router.post("/documents/{document_id}/tags")
async def tag_pages(
    request: Request, document_id: str, services: ServicesDep, viewer: PostingUser
) -> Response:
    doc = await visible_document(services, viewer, document_id)
    ch, tenant = services.clickhouse, viewer.tenant_id
    version = await run_in_threadpool(get_version, ch, tenant, doc.current_version_id)
    known = {c.name for c in await tag_choices(services, viewer)}
    form = await request.form()
    chosen = {
        tag: {int(v) for v in form.getlist(tag) if isinstance(v, str) and v.isdigit()}
        for tag in known
    }
    updates = {
        number: sorted(
            {t for t in version.page_tags[number - 1] if t not in known}
            | {t for t in known if number in chosen[t]}
        )
        for number in range(1, version.pages + 1)
    }
    await run_in_threadpool(set_page_tags, ch, tenant, doc.document_id, version.version_id, updates)
    return RedirectResponse(f"/app/documents/{doc.document_id}#tags", status_code=303)
