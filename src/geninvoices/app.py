"""``create_app(settings)``: the ASGI application. Engines are built in the lifespan, not at
import, so tests and workers each get their own; the lifespan also runs the worker's
background mail sender (rules §5.6)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os

from fastapi import FastAPI
from sqlalchemy import Engine

from . import faults, metrics
from .api import health
from .api.documents import invoice_routes
from .api.frontdoor import POOL_SIZE, FrontDoor
from .api.phpform import Limits
from .api.routes import API_PATH, answer_api_php, api_php_route, router
from .config import Settings
from .db import make_engine
from .documents.render import Renderer
from .mailer import Sender


class GenInvoicesApp(FastAPI):
    """The app, with ``/includes/api.php`` answered straight from the top: past Starlette's
    middleware and router, which every other path goes through. That route is a plain ASGI
    endpoint that catches its own errors (routes.api_php); other methods on it go the
    ordinary way, to the route's 405."""

    async def __call__(self, scope, receive, send) -> None:
        if (scope["type"] == "http" and scope["path"] == API_PATH
                and scope["method"] in ("GET", "POST")):
            scope["app"] = self
            await answer_api_php(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> FastAPI:
    settings = settings or Settings()
    faults.arm(os.environ)  # test hooks: read once per process, inert unless testing
    renderer = Renderer(settings.templates_dir)
    renderer.check()  # a broken template override stops the server here (rules §15)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        if engine is None:
            # a pooled connection per front-door thread: none is opened and closed per call
            app.state.front_door = FrontDoor(make_engine(
                settings.database_url, lock_timeout_seconds=settings.lock_timeout_seconds,
                pool_size=POOL_SIZE), settings)
        sender = Sender(app.state.front_door.engine, settings, metrics.record_mail)
        sending = asyncio.create_task(sender.run(), name="geninvoices-mail-sender")
        # What exists at start-up lives as long as the worker: keep it out of the collector's
        # scans, which otherwise show up as pauses in the slowest one per cent of calls.
        gc.collect()
        gc.freeze()
        yield
        sender.stopping = True
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sending
        app.state.front_door.close()
        if engine is None:
            app.state.front_door.engine.dispose()

    app = GenInvoicesApp(title="geninvoices", lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None)
    app.state.limits = Limits(settings.max_params, settings.max_array_elements,
                              settings.max_key_depth)
    if engine is not None:  # ready at once, for ASGI transports that send no lifespan events
        app.state.front_door = FrontDoor(engine, settings)
    app.state.renderer = renderer
    app.router.routes.append(api_php_route())
    app.router.routes.extend(invoice_routes())
    app.include_router(router)
    app.include_router(health.router)
    return app


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        force=True)
