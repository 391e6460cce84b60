"""``/healthz`` and ``/metrics`` for load balancers and Prometheus (README "Health and
metrics"). Both do their blocking work (a query, reading the workers' metric files) in a
worker thread, so a slow database never stalls the event loop."""

from __future__ import annotations

import asyncio
import functools

from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import Engine, text
from starlette.concurrency import run_in_threadpool

from .. import metrics
from ..migrate import VERSION_TABLE, alembic_config

router = APIRouter()
HEALTH_TIMEOUT_SECONDS = 5.0


@functools.cache
def head_revision() -> str | None:
    """The newest migration this code ships (read once per worker)."""
    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()


def database_problem(engine: Engine) -> str | None:
    """None when the database answers and holds the newest migration, else why not."""
    try:
        with engine.connect() as conn:
            current = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalar()
    except Exception as error:  # noqa: BLE001 - any failure is the reason given
        return f"database unavailable: {type(error).__name__}"
    try:
        head = head_revision()
    except Exception as error:  # noqa: BLE001 - e.g. the migrations are not installed
        return f"cannot read this version's migrations: {error}"
    if current != head:
        return (f"database at migration {current or 'none'}, this version needs {head}: "
                "run `geninvoices migrate`")
    return None


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    engine = request.app.state.front_door.engine
    try:
        problem = await asyncio.wait_for(run_in_threadpool(database_problem, engine),
                                         HEALTH_TIMEOUT_SECONDS)
    except TimeoutError:
        problem = f"database did not answer within {HEALTH_TIMEOUT_SECONDS:g} seconds"
    if problem:
        return JSONResponse({"status": "unavailable", "reason": problem}, status_code=503)
    return JSONResponse({"status": "ok"})


@router.get("/metrics")
async def metrics_page() -> Response:
    body, content_type = await run_in_threadpool(metrics.exposition)
    return Response(body, media_type=content_type)
