"""Store: API tokens and client ingest keys — only the sha256 of a secret is ever written.

A token is `lht_` + 43 url-safe characters (256 random bits); a client ingest key is `lhk_` + the
same. The prefix tells which table to look in, so a request costs one indexed lookup.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from loghealth.store.tables import ApiTokenRow, ClientRow

__all__ = [
    "CLIENT_KEY_PREFIX",
    "TOKEN_PREFIX",
    "ApiToken",
    "Role",
    "TokenStore",
    "hash_secret",
    "new_secret",
]

TOKEN_PREFIX = "lht_"  # noqa: S105 - a public marker, not a secret
CLIENT_KEY_PREFIX = "lhk_"


class Role(enum.StrEnum):
    """Roles of API tokens, weakest first: `viewer < admin < superadmin`."""

    VIEWER = "viewer"
    ADMIN = "admin"
    SUPERADMIN = "superadmin"

    @property
    def rank(self) -> int:
        """0 for viewer, 1 for admin, 2 for superadmin."""
        return list(Role).index(self)

    def covers(self, needed: Role) -> bool:
        """True when this role may do what `needed` may do."""
        return self.rank >= needed.rank


def new_secret(prefix: str) -> str:
    """A fresh secret: `prefix` + 43 url-safe base64 characters (256 bits from `secrets`)."""
    return prefix + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    """The stored form of a secret: sha256, 64 lower-case hex characters."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A stored token (never its secret). Times are aware UTC."""

    id: int
    name: str
    role: Role
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _token(row: ApiTokenRow) -> ApiToken:
    return ApiToken(
        row.id, row.name, Role(row.role), row.prefix, row.created_at, row.last_used_at,
        row.revoked_at,
    )  # fmt: skip


class TokenStore:
    """Create, list, revoke and resolve API tokens and client ingest keys."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self, name: str, role: Role, now: datetime) -> tuple[ApiToken, str]:
        """Store a new token; return it and its secret (shown once, never stored)."""
        secret = new_secret(TOKEN_PREFIX)
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            row = ApiTokenRow(
                name=name,
                role=str(role),
                token_hash=hash_secret(secret),
                prefix=secret[: len(TOKEN_PREFIX) + 4],
                created_at=now,
                last_used_at=None,
                revoked_at=None,
            )
            session.add(row)
        return _token(row), secret

    def list(self) -> list[ApiToken]:
        """Every token, revoked ones included, oldest first."""
        with Session(self.engine) as session:
            return [
                _token(r) for r in session.scalars(select(ApiTokenRow).order_by(ApiTokenRow.id))
            ]

    def revoke(self, token_id: int, now: datetime) -> ApiToken:
        """Revoke a token (idempotent: the first revocation time is kept).

        Raises:
            KeyError: no token with this id.
        """
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            row = session.get(ApiTokenRow, token_id)
            if row is None:
                raise KeyError(token_id)
            row.revoked_at = row.revoked_at or now
        return _token(row)

    def resolve(self, secret: str, now: datetime) -> ApiToken | None:
        """The live (not revoked) token with this secret, or None; records `last_used_at`."""
        digest = hash_secret(secret)
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            row = session.scalars(
                select(ApiTokenRow).where(ApiTokenRow.token_hash == digest)
            ).one_or_none()
            if row is None or row.revoked_at is not None:
                return None
            session.execute(
                update(ApiTokenRow).where(ApiTokenRow.id == row.id).values(last_used_at=now)
            )
            return _token(row)

    def client_for_key(self, secret: str) -> str | None:
        """The id of the active client whose ingest key this is, or None."""
        digest = hash_secret(secret)
        with Session(self.engine) as session:
            return session.scalar(
                select(ClientRow.id).where(
                    ClientRow.ingest_key_hash == digest, ClientRow.is_active.is_(True)
                )
            )
