"""The FastAPI application: public routes, the authenticated REST API, health."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from api import probes, web
from api.api_docs import install_api_docs
from api.body_limits import BodyLimit
from api.contract import install_openapi_contract, operation_id
from api.errors import install_error_handlers
from api.log_redaction import install_log_redaction
from api.metrics import metrics_endpoint
from api.recipient import gates, mute_link, privacy, report_file
from api.recipient import routes as public
from api.recipient.front import RecipientFront
from api.request_log import RequestLog
from api.rest import (
    calibration,
    crm,
    deal_health,
    documents,
    forecast_rules,
    identify,
    jobs,
    keys,
    links,
    notification_people,
    notifications,
    people,
    scores,
    stages,
    webhooks,
)
from api.rest.accounts import health as account_health
from api.rest.accounts import routes as accounts
from api.services import Services, open_services
from api.workers import make_dispatcher, make_render_pool, make_scheduler, make_writer
from tracker.config import Settings

__all__ = ["create_app"]

# Every router of the app, one line each. No two routes can answer the same request
# (tests/api/test_routes.py), so the order only sets how soon FastAPI, trying routers in
# turn, finds one: recipients' public traffic and the CRM's pulls and pushes come first.
ROUTERS: tuple[APIRouter, ...] = (
    public.router,
    scores.router,
    crm.router,
    accounts.router,
    account_health.router,
    deal_health.router,
    stages.router,
    probes.router,
    gates.router,
    privacy.router,
    documents.router,
    links.router,
    identify.router,
    keys.router,
    people.router,
    jobs.router,
    calibration.router,
    forecast_rules.router,
    webhooks.router,
    web.router,
    notifications.router,
    notification_people.router,
    mute_link.router,
    report_file.router,
)

# The API reference (/docs) reads in this order, whatever the order of ROUTERS.
OPENAPI_TAGS: tuple[dict[str, str], ...] = (
    {"name": "api keys", "description": "Keys per tenant and scope (reps, crm, admin)."},
    {"name": "documents", "description": "Proposal and quote PDFs, revisions, page tags."},
    {"name": "links", "description": "Per-recipient tracked links and watermarked PDFs."},
    {"name": "leak attribution", "description": "Which recipient a leaked copy came from."},
    {"name": "crm", "description": "Opportunities, contacts, activities and outcomes."},
    {"name": "accounts", "description": "Accounts, finance, customer health, freezes."},
    {"name": "scores", "description": "Engagement scores and timelines the CRM pulls."},
    {"name": "health", "description": "Opportunity health, stalls, forecast evidence."},
    {"name": "stages", "description": "Evidence-gated stages and the evidence proving them."},
    {"name": "webhooks", "description": "Signed outbound events and their delivery log."},
    {"name": "notifications", "description": "WeCom, Feishu, Slack and email alerts."},
    {"name": "privacy", "description": "A person's export and erasure; the audit trail."},
    {"name": "operations", "description": "Scheduled jobs, run on demand by admins."},
)

log = logging.getLogger("dealsignal")


def create_app(
    settings: Settings | None = None, *, run_background: bool | None = None
) -> RecipientFront:
    """Build the app. `run_background` starts the writer and scheduler loops in-process
    (default: on in embedded mode, where only one process may open the store)."""
    settings = settings or Settings()
    install_log_redaction()
    background = run_background
    if background is None:
        background = settings.embedded if settings.background is None else settings.background

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = await open_services(settings)
        app.state.services = services
        if background:
            start_background(services)
        try:
            yield
        finally:
            await services.close()

    app = FastAPI(
        title="dealsignal",
        version="0.1.0",
        description="Tracked proposals, engagement analytics and deal scores for B2B sales.",
        lifespan=lifespan,
        openapi_tags=list(OPENAPI_TAGS),
        generate_unique_id_function=operation_id,
        docs_url=None,  # served by api.api_docs from this service's own assets
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
    )
    if settings.docs_enabled:
        install_api_docs(app)
    install_error_handlers(app)
    install_openapi_contract(app)
    # Outermost of FastAPI's own stack, so bodies are bounded before routing and before any
    # key or session dependency runs.
    app.add_middleware(BodyLimit, limits=settings.limits)
    app.add_middleware(RequestLog)  # added last: outermost, so it times the refusals too
    for router in ROUTERS:
        app.include_router(router)
    app.add_route(
        "/metrics",
        metrics_endpoint(settings.metrics_allow_from),
        methods=["GET"],
        include_in_schema=False,
    )
    app.mount("/static", StaticFiles(packages=[("api", "static")]), name="static")
    return RecipientFront(app, settings.trusted_proxies)


def start_background(services: Services) -> None:
    """In-process loops for embedded mode, where only this process may open the store."""
    services.spawn("writer", make_writer(services, "embedded").run_forever(services.stop))
    services.spawn("webhooks", make_dispatcher(services).run_forever(services.stop))
    services.spawn("scheduler", make_scheduler(services).run_forever(services.stop))
    services.spawn("renderers", make_render_pool(services).run_forever(services.stop))
