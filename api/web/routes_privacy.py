"""The admin's privacy and retention settings (issue 18): the notice buyers see on the
viewer and the email gate (mode, zh/en text, policy link, GPC/DNT) and how long the tenant
keeps events, its audit trail and watermarked copies.

    GET  /app/settings/privacy            both forms, with the current values (admins)
    POST /app/settings/privacy            save the notice
    POST /app/settings/privacy/retention  save the retention limits

The forms are checked by the same models the REST API (`/api/v1/settings/…`) takes, and
saved through the same functions, so both paths accept and refuse the same values. A
refused form comes back (400) with the values as typed and a message by each field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.services import Services, ServicesDep
from api.web.auth import CurrentUser, PostingUser, Viewer
from api.web.render import WebRoute, page
from tracker.errors import BadRequest, Forbidden
from tracker.privacy import (
    PrivacyMode,
    PrivacyNotice,
    Retention,
    get_privacy_notice,
    get_retention,
    set_privacy_notice,
    set_retention,
)
from tracker.users import Role

__all__ = ["field_problems", "router"]

router = APIRouter(prefix="/app", route_class=WebRoute, include_in_schema=False)

PATH = "/app/settings/privacy"
_NOTICE_FIELDS = ("mode", "text_zh", "text_en", "policy_url")
_RETENTION_FIELDS = tuple(Retention.model_fields)


def _admin(viewer: Viewer) -> None:
    if viewer.user.role is not Role.ADMIN:
        raise Forbidden("only an admin sees the privacy settings", code="not_an_admin")


def field_problems(exc: ValidationError, gettext: Callable[[str], str]) -> dict[str, str]:
    """field → a message in the person's language, from pydantic's error types and their
    limits (the rules stay in the models; this only says them)."""
    _ = gettext
    problems: dict[str, str] = {}
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else ""
        kind, ctx = error["type"], error.get("ctx") or {}
        if kind == "greater_than_equal":
            message = _("At least %(n)s.") % {"n": ctx.get("ge")}
        elif kind == "less_than_equal":
            message = _("At most %(n)s.") % {"n": ctx.get("le")}
        elif kind.startswith("int_"):
            message = _("Enter a whole number.")
        elif kind == "string_too_long":
            message = _("At most %(n)s characters.") % {"n": ctx.get("max_length")}
        elif kind == "enum":
            message = _("Choose one of the options.")
        elif field == "policy_url":
            message = _("The policy link must be an https:// address, or empty.")
        elif field.startswith("text_"):
            message = _("Printable text and line breaks only.")
        else:
            message = _("This value is not valid.")
        problems.setdefault(field, message)
    return problems


def _range(field: str) -> tuple[int, int]:
    """The (lowest, highest) number of days the model accepts, for the form's hints."""
    bounds = {"ge": 0, "le": 0}
    for rule in Retention.model_fields[field].metadata:
        for name in bounds:
            bounds[name] = getattr(rule, name, bounds[name])
    return bounds["ge"], bounds["le"]


async def _form(request: Request, fields: tuple[str, ...]) -> dict[str, str]:
    form = await request.form()
    return {name: str(form.get(name) or "") for name in fields} | {
        "honour_gpc": "1" if form.get("honour_gpc") else ""
    }


async def _settings_page(
    request: Request,
    services: Services,
    viewer: Viewer,
    *,
    notice: Mapping[str, Any] | None = None,
    retention: Mapping[str, Any] | None = None,
    problems: Mapping[str, str] | None = None,
    code: str = "",
) -> Response:
    ch, tenant = services.clickhouse, viewer.tenant_id
    if notice is None:
        notice = (await run_in_threadpool(get_privacy_notice, ch, tenant)).model_dump(mode="json")
    if retention is None:
        retention = (await run_in_threadpool(get_retention, ch, tenant)).model_dump()
    saved = request.query_params.get("saved", "")
    return page(
        request,
        viewer,
        "web/privacy_settings.html",
        status=400 if problems else 200,
        title=viewer.translator.gettext("Privacy & retention"),
        notice=notice,
        retention=retention,
        modes=[m.value for m in PrivacyMode],
        ranges={name: _range(name) for name in _RETENTION_FIELDS},
        events_ceiling=services.settings.event_ttl_days,
        problems=problems or {},
        code=code,
        saved=saved if saved in ("notice", "retention") else "",
    )


@router.get("/settings/privacy")
async def settings(request: Request, services: ServicesDep, viewer: CurrentUser) -> Response:
    _admin(viewer)
    return await _settings_page(request, services, viewer)


@router.post("/settings/privacy")
async def save_notice(request: Request, services: ServicesDep, viewer: PostingUser) -> Response:
    _admin(viewer)
    typed = await _form(request, _NOTICE_FIELDS)
    try:
        notice = PrivacyNotice.model_validate({**typed, "honour_gpc": bool(typed["honour_gpc"])})
    except ValidationError as exc:
        problems = field_problems(exc, viewer.translator.gettext)
        return await _settings_page(
            request,
            services,
            viewer,
            notice=typed,
            problems=problems,
            code="invalid_privacy_notice",
        )
    await run_in_threadpool(
        partial(set_privacy_notice, actor=f"user:{viewer.user.email}"),
        services.clickhouse,
        viewer.tenant_id,
        notice,
    )
    return RedirectResponse(f"{PATH}?saved=notice", status_code=303)


@router.post("/settings/privacy/retention")
async def save_retention(request: Request, services: ServicesDep, viewer: PostingUser) -> Response:
    _admin(viewer)
    typed = await _form(request, _RETENTION_FIELDS)
    typed.pop("honour_gpc")
    ceiling = services.settings.event_ttl_days
    try:
        retention = Retention.model_validate(typed)
        await run_in_threadpool(
            partial(set_retention, events_ceiling_days=ceiling, actor=f"user:{viewer.user.email}"),
            services.clickhouse,
            viewer.tenant_id,
            retention,
        )
    except ValidationError as exc:
        problems = field_problems(exc, viewer.translator.gettext)
        return await _settings_page(
            request, services, viewer, retention=typed, problems=problems, code="invalid_retention"
        )
    except BadRequest as exc:
        if exc.code != "retention_over_deployment_limit":
            raise
        _ = viewer.translator.gettext
        message = _("At most %(n)s: this deployment keeps events no longer.") % {"n": ceiling}
        return await _settings_page(
            request,
            services,
            viewer,
            retention=typed,
            problems={"events_days": message},
            code=exc.code,
        )
    return RedirectResponse(f"{PATH}?saved=retention", status_code=303)
