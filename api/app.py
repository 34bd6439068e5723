"""The FastAPI application: public routes, the authenticated REST API, health."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from api import (
    crm,
    documents,
    gates,
    health,
    identify,
    jobs,
    keys,
    links,
    mute_link,
    notification_people,
    notifications,
    public,
    scores,
    web,
    webhooks,
)
from api.beacon import BeaconFastPath
from api.errors import install_error_handlers
from api.health_routes import router as health_router
from api.metrics import metrics
from api.services import Services, open_services
from api.workers import make_dispatcher, make_scheduler, make_writer
from tracker.config import Settings

__all__ = ["create_app"]

# Every router of the app, one line each.
ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    keys.router,
    documents.router,
    links.router,
    identify.router,
    jobs.router,
    public.router,
    gates.router,
    webhooks.router,
    crm.router,
    scores.router,
    health_router,
    web.router,
    notifications.router,
    notification_people.router,
    mute_link.router,
)

log = logging.getLogger("dealsignal")


def create_app(
    settings: Settings | None = None, *, run_background: bool | None = None
) -> BeaconFastPath:
    """Build the app. `run_background` starts the writer and scheduler loops in-process
    (default: on in embedded mode, where only one process may open the store)."""
    settings = settings or Settings()
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
    )
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.add_route("/metrics", metrics, methods=["GET"], include_in_schema=False)
    app.mount("/static", StaticFiles(packages=[("api", "static")]), name="static")
    return BeaconFastPath(app)


def start_background(services: Services) -> None:
    """In-process loops for embedded mode, where only this process may open the store."""
    services.spawn("writer", make_writer(services, "embedded").run_forever(services.stop))
    services.spawn("webhooks", make_dispatcher(services).run_forever(services.stop))
    services.spawn("scheduler", make_scheduler(services).run_forever(services.stop))
