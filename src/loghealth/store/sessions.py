"""Store: dashboard sessions, server-side — the cookie holds a random secret, the table its sha256.

A session belongs to a user or to an API token (login with a token). It is valid until its
absolute `expires_at`, and only while its user is enabled or its token not revoked: disabling a
user or revoking a token ends its sessions at once. Each session carries the CSRF token its
forms must send back.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from loghealth.store.tables import ApiTokenRow, UiSessionRow, UserRow
from loghealth.store.tokens import Role, hash_secret

__all__ = ["TOUCH_INTERVAL_SECS", "UiSession", "UiSessionStore"]

TOUCH_INTERVAL_SECS = 60
"""`last_seen_at` is written at most this often per session (reads should not all write)."""


@dataclass(frozen=True, slots=True)
class UiSession:
    """A live session: who (`kind` user or token, its name and current role) and its CSRF token."""

    id: int
    kind: str
    name: str
    role: Role
    csrf_token: str
    created_at: datetime
    expires_at: datetime


class UiSessionStore:
    """Create, resolve and end dashboard sessions over one SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(
        self,
        now: datetime,
        max_age_secs: int,
        *,
        user_id: int | None = None,
        token_id: int | None = None,
    ) -> str:
        """Start a session of a user or a token (exactly one); return the cookie secret.

        Expired sessions are deleted on the way.

        Raises:
            ValueError: neither or both of `user_id` and `token_id`, or `max_age_secs` <= 0.
        """
        if (user_id is None) == (token_id is None):
            raise ValueError("a session belongs to a user or to a token")
        if max_age_secs <= 0:
            raise ValueError("max_age_secs must be positive")
        secret = secrets.token_urlsafe(32)
        with Session(self.engine) as session, session.begin():
            session.execute(delete(UiSessionRow).where(UiSessionRow.expires_at <= now))
            session.add(
                UiSessionRow(
                    session_hash=hash_secret(secret),
                    user_id=user_id,
                    token_id=token_id,
                    csrf_token=secrets.token_urlsafe(32),
                    created_at=now,
                    last_seen_at=now,
                    expires_at=now + timedelta(seconds=max_age_secs),
                )
            )
        return secret

    def resolve(self, secret: str, now: datetime) -> UiSession | None:
        """The live session with this cookie secret, or None.

        None when the secret is unknown, the session expired, its user is disabled or its token
        revoked. Records `last_seen_at` at most every `TOUCH_INTERVAL_SECS`.
        """
        with Session(self.engine) as session:
            row = session.scalars(
                select(UiSessionRow).where(UiSessionRow.session_hash == hash_secret(secret))
            ).one_or_none()
            if row is None or row.expires_at <= now:
                return None
            owner = self._owner(session, row)
            if owner is None:
                return None
            if now - row.last_seen_at >= timedelta(seconds=TOUCH_INTERVAL_SECS):
                session.execute(
                    update(UiSessionRow).where(UiSessionRow.id == row.id).values(last_seen_at=now)
                )
                session.commit()
            kind, name, role = owner
            return UiSession(
                row.id, kind, name, role, row.csrf_token, row.created_at, row.expires_at
            )

    @staticmethod
    def _owner(session: Session, row: UiSessionRow) -> tuple[str, str, Role] | None:
        if row.user_id is not None:
            user = session.get(UserRow, row.user_id)
            if user is None or user.disabled_at is not None:
                return None
            return "user", user.name, Role(user.role)
        token = session.get(ApiTokenRow, row.token_id)
        if token is None or token.revoked_at is not None:
            return None
        return "token", token.name, Role(token.role)

    def delete(self, secret: str) -> bool:
        """End the session with this cookie secret; False if there was none."""
        with Session(self.engine) as session, session.begin():
            result = session.execute(
                delete(UiSessionRow).where(UiSessionRow.session_hash == hash_secret(secret))
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]
