"""The web app for people (reps, managers, admins) under /app: sign-in with sessions and
CSRF, documents and links, document analytics with live updates, deals and the manager's
team view. Server-rendered (Jinja2, autoescaped), every string through the catalogs."""

from __future__ import annotations

from fastapi import APIRouter

from api.web import (
    routes_accounts,
    routes_analytics,
    routes_audit,
    routes_auth,
    routes_deals,
    routes_documents,
    routes_manager,
    routes_privacy,
    routes_tags,
)

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
for _module in (
    routes_auth,
    routes_documents,
    routes_analytics,
    routes_deals,
    routes_accounts,
    routes_manager,
    routes_tags,
    routes_privacy,
    routes_audit,
):
    router.include_router(_module.router)
