"""API schemas: API tokens and the catalog's signatures."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from loghealth.api.schemas.common import StrictIn

__all__ = [
    "SignatureOut",
    "TokenCreatedOut",
    "TokenIn",
    "TokenOut",
]


class TokenIn(StrictIn):
    """A token to create."""

    name: str = Field(min_length=1, max_length=128)
    role: Literal["viewer", "admin", "superadmin"]


class TokenOut(BaseModel):
    """A token (never its secret; `prefix` is its first characters, to recognise it)."""

    id: int
    name: str
    role: Literal["viewer", "admin", "superadmin"]
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreatedOut(TokenOut):
    """A new token with its secret (shown once)."""

    token: str


class SignatureOut(BaseModel):
    """A signature or rule of the live catalog, with its text in the requested language."""

    id: str
    pack: str
    severity: Literal["info", "warning", "error", "critical"]
    category: str
    area: str
    name: str
    cause: str
    fix: str
    docs_url: str | None
    patterns: list[str]
    min_level: str | None
