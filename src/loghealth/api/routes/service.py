"""API routes: `/healthz` (liveness, no auth) and `/metrics` (Prometheus text, viewer token)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from loghealth.api.deps import ContextDep, Principal, require
from loghealth.api.metrics import render_metrics
from loghealth.api.schemas import HealthzOut
from loghealth.store.tokens import Role

__all__ = ["router"]

router = APIRouter(tags=["service"])


@router.get("/healthz", response_model=HealthzOut, summary="Liveness")
async def healthz(context: ContextDep) -> HealthzOut:
    """`ok` while the process answers; no auth, no store access, no log contents."""
    return HealthzOut(is_pipeline_running=context.pipeline is not None)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {}}, "description": "OK"}},
    summary="Prometheus metrics",
)
async def metrics(
    context: ContextDep, _: Annotated[Principal, Depends(require(Role.VIEWER))]
) -> Response:
    """Records read, hits, drops by reason, lag and health per source; findings by state."""
    text = await asyncio.to_thread(
        render_metrics, context.store, context.clock.now(), context.pipeline
    )
    return Response(text, media_type=CONTENT_TYPE_LATEST)
