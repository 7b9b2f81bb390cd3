"""API schemas shared by every route group: the base of request bodies, problems, scores."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "HealthzOut",
    "LevelName",
    "Problem",
    "ScoreOut",
    "SeverityName",
    "StrictIn",
]

SeverityName = Literal["info", "warning", "error", "critical"]
LevelName = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class StrictIn(BaseModel):
    """Base of request bodies: unknown fields are rejected (422)."""

    model_config = ConfigDict(extra="forbid")


class Problem(BaseModel):
    """An error (RFC 9457 problem details); `errors` lists validation failures (422)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None


class HealthzOut(BaseModel):
    """Liveness: `ok` while the process serves requests."""

    status: Literal["ok"] = "ok"
    is_pipeline_running: bool


class ScoreOut(BaseModel):
    """A 0-100 health score and its band (healthy ≥ 90, warning ≥ 70, degraded ≥ 50)."""

    score: int = Field(ge=0, le=100)
    status: Literal["healthy", "warning", "degraded", "critical"]
