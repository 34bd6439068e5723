"""The audit trail for admins (issue 18), read-only: who — an API key or a signed-in
person — read analytics about a buyer, downloaded a watermarked copy, ran identify,
exported or erased a person's data. Newest first, filtered by action and by a person's
email (entries about them or done by them), a page at a time with the same keyset cursor
the REST lists use.

    GET /app/audit?action=&person=&cursor=
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api.services import ServicesDep
from api.web.auth import CurrentUser
from api.web.render import WebRoute, page
from tracker.cursors import Cursor
from tracker.errors import BadRequest, Forbidden
from tracker.privacy import AuditAction, list_audit
from tracker.users import Role

__all__ = ["PAGE_SIZE", "router"]

router = APIRouter(prefix="/app", route_class=WebRoute, include_in_schema=False)

PAGE_SIZE = 50


@router.get("/audit")
async def audit_trail(
    request: Request,
    services: ServicesDep,
    viewer: CurrentUser,
    action: Annotated[str, Query(max_length=40)] = "",
    person: Annotated[str, Query(max_length=320)] = "",
    cursor: Annotated[str, Query(max_length=400)] = "",
) -> Response:
    if viewer.user.role is not Role.ADMIN:
        raise Forbidden("only an admin reads the audit trail", code="not_an_admin")
    if action and action not in set(AuditAction):
        raise BadRequest("unknown audit action", code="invalid_audit_action")
    found = await run_in_threadpool(
        list_audit,
        services.clickhouse,
        viewer.tenant_id,
        action=action,
        involving=person,
        after=Cursor.decode(cursor) if cursor else None,
        limit=PAGE_SIZE + 1,
    )
    entries = found[:PAGE_SIZE]
    more = len(found) > PAGE_SIZE
    return page(
        request,
        viewer,
        "web/audit.html",
        title=viewer.translator.gettext("Audit trail"),
        entries=entries,
        actions=[a.value for a in AuditAction],
        action=action,
        person=person.strip(),
        next_cursor=Cursor(entries[-1].at, entries[-1].audit_id).encode() if more else "",
        first_page=not cursor,
    )
