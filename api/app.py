"""The FastAPI application: public routes, the authenticated REST API, health."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from api import health, keys
from api.errors import install_error_handlers
from api.services import Services, open_services
from tracker.config import Settings

__all__ = ["create_app"]

# Every router of the app, one line each.
ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    keys.router,
)

log = logging.getLogger("dealsignal")


def create_app(settings: Settings | None = None, *, run_background: bool | None = None) -> FastAPI:
    """Build the app. `run_background` starts the writer and scheduler loops in-process
    (default: on in embedded mode, where only one process may open the store)."""
    settings = settings or Settings()
    background = settings.embedded if run_background is None else run_background

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
    return app


def start_background(services: Services) -> None:
    """In-process loops for embedded mode (writer, scheduler); filled in by later stages."""
    del services
