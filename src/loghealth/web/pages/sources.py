"""Dashboard page `/sources`: every source's state, health, counters, drops and last record.

Rows come from `api.routes.sources.source_list`, exactly what `GET /api/v1/sources` returns.
While `loghealth serve` runs, admins may follow a new path or stop a running source through
serve's source control (what `POST`/`DELETE /api/v1/sources` use); viewers only look, and the
server refuses their changes (403).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from loghealth.api.deps import get_context
from loghealth.api.routes.sources import source_list
from loghealth.api.schemas import SourceOut
from loghealth.store.tokens import Role
from loghealth.web.auth import PageError, WebUser, require_user
from loghealth.web.i18n import Translator
from loghealth.web.render import NavItem, page_language, render

__all__ = ["DROP_REASONS", "NAV", "SOURCE_STATES", "SourceTotals", "router", "size_text"]

router = APIRouter(include_in_schema=False)
NAV = NavItem("/sources", "sources.nav", order=30)
Viewer = Annotated[WebUser, Depends(require_user())]
Admin = Annotated[WebUser, Depends(require_user(Role.ADMIN))]

DROP_REASONS = (
    "hit_cooldown", "hit_rate_limit", "hit_search_timeout", "line_too_long", "message_too_long",
    "frame_too_large", "framing_error", "queue_full", "too_many_connections",
    "rotated_while_stopped",
)  # fmt: skip
"""Drop reasons the sources and the engine count (`sources.drop_<reason>` in the locales); the
engine's, as the pipeline stores them, start with `hit_`."""
SOURCE_STATES = ("starting", "running", "idle", "error", "stopped")
"""A source's life cycle (`sources.state_<state>` in the locales; others show as they are)."""
_NOTICES = frozenset({"added", "removed", "not_running"})
_UNITS = (("gib", 1 << 30), ("mib", 1 << 20), ("kib", 1 << 10))


@dataclass(frozen=True, slots=True)
class SourceTotals:
    """Figures over every source: how many, running, in error; records, hits and drops."""

    count: int
    running: int
    failing: int
    records: int
    hits: int
    drops: int

    @classmethod
    def of(cls, sources: list[SourceOut]) -> SourceTotals:
        """Sum the rows of the Sources page."""
        return cls(
            count=len(sources),
            running=sum(s.is_running for s in sources),
            failing=sum(s.state == "error" or s.error is not None for s in sources),
            records=sum(s.records_read for s in sources),
            hits=sum(s.hits for s in sources),
            drops=sum(sum(s.drops.values()) for s in sources),
        )


def size_text(t: Translator, size_bytes: int) -> str:
    """A byte count for people: `512 B`, `1.5 KiB`… (`1,5 КиБ` in Russian), binary units."""
    for unit, size in _UNITS:
        if size_bytes >= size:
            number = f"{size_bytes / size:.1f}"
            number = number.replace(".", ",") if t.lang == "ru" else number
            return t(f"sources.size_{unit}", n=number)
    return t("sources.size_b", n=size_bytes)


def _labels(t: Translator) -> dict[str, dict[str, str]]:
    """Texts of values the page shows: drop reasons and source states."""
    return {
        "drop": {reason: t(f"sources.drop_{reason}") for reason in DROP_REASONS},
        "state": {state: t(f"sources.state_{state}") for state in SOURCE_STATES},
    }


async def _page(
    request: Request, status_code: int = 200, form_path: str = "", form_error: str | None = None
) -> HTMLResponse:
    context = get_context(request)
    sources = await source_list(context)
    t = Translator(page_language(request))
    done = request.query_params.get("done")
    return render(
        request, "sources.html", status_code, sources=sources, totals=SourceTotals.of(sources),
        labels=_labels(t), size=lambda n: size_text(t, n),
        can_control=context.sources is not None, form_path=form_path, form_error=form_error,
        notice=done if done in _NOTICES else None, notice_n=request.query_params.get("n", "0"),
    )  # fmt: skip


@router.get("/sources", response_class=HTMLResponse)
async def sources_page(request: Request, _: Viewer) -> HTMLResponse:
    """Every known source, by id, then running ones with nothing committed yet."""
    return await _page(request)


@router.post("/sources/add", response_model=None)
async def add_source(
    request: Request, _: Admin, path: Annotated[str, Form(max_length=4096)] = ""
) -> HTMLResponse | RedirectResponse:
    """Follow a file, directory or glob (absolute); the form comes back with its error if not."""
    control = get_context(request).sources
    if control is None:
        raise PageError(503, "sources.no_control")
    path = path.strip()
    if not path or "\x00" in path or not Path(path).is_absolute():
        return await _page(request, 400, path, "sources.error_absolute")
    started = control.add_path(path)
    return RedirectResponse(f"/sources?done=added&n={len(started)}", status_code=303)


@router.post("/sources/remove")
async def remove_source(
    request: Request, _: Admin, source_id: Annotated[str, Form(min_length=1, max_length=512)]
) -> RedirectResponse:
    """Stop following a running source; its counters and findings stay."""
    control = get_context(request).sources
    if control is None:
        raise PageError(503, "sources.no_control")
    done = "removed" if control.remove(source_id) else "not_running"
    return RedirectResponse(f"/sources?done={done}", status_code=303)
