"""Store: dashboard users — names, roles and argon2id password hashes (`argon2-cffi`).

Passwords are never stored: only the PHC string of `argon2.PasswordHasher` (RFC 9106 argon2id,
the library's default parameters), rehashed on login when those parameters change. Checking an
unknown name costs the same as a wrong password, so names cannot be probed by timing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from loghealth.store.tables import UiSessionRow, UserRow
from loghealth.store.tokens import Role

__all__ = [
    "MIN_PASSWORD_CHARS",
    "USER_NAME_PATTERN",
    "User",
    "UserExistsError",
    "UserStore",
]

USER_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"
"""A user name: 1-64 characters, letters, digits and `._@-`, not starting with punctuation."""

MIN_PASSWORD_CHARS = 8
"""The shortest password accepted (the CLI asks again; the store raises)."""


class UserExistsError(ValueError):
    """A user with this name already exists (names are unique, case-sensitive)."""


@dataclass(frozen=True, slots=True)
class User:
    """A stored user (never its password hash). Times are aware UTC."""

    id: int
    name: str
    role: Role
    created_at: datetime
    last_login_at: datetime | None
    disabled_at: datetime | None

    @property
    def is_disabled(self) -> bool:
        """True when the user may no longer log in."""
        return self.disabled_at is not None


def _user(row: UserRow) -> User:
    return User(
        row.id, row.name, Role(row.role), row.created_at, row.last_login_at, row.disabled_at
    )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")


class UserStore:
    """Create, list, disable and authenticate dashboard users over one SQLAlchemy engine.

    `hasher` defaults to `argon2.PasswordHasher()`; tests may pass cheaper parameters.
    """

    def __init__(self, engine: Engine, hasher: PasswordHasher | None = None) -> None:
        self.engine = engine
        self.hasher = hasher or PasswordHasher()

    @cached_property
    def _dummy_hash(self) -> str:
        return self.hasher.hash("loghealth: a user that does not exist")

    def create(self, name: str, password: str, role: Role, now: datetime) -> User:
        """Store a new user with a hash of `password`.

        Raises:
            ValueError: `name` does not fit `USER_NAME_PATTERN`, or the password is too short.
            UserExistsError: the name is taken.
        """
        if not re.fullmatch(USER_NAME_PATTERN, name):
            raise ValueError(f"user name {name!r}: 1-64 letters, digits or ._@- characters")
        _check_password(password)
        row = UserRow(
            name=name,
            password_hash=self.hasher.hash(password),
            role=str(role),
            created_at=now,
            last_login_at=None,
            disabled_at=None,
        )
        try:
            with Session(self.engine, expire_on_commit=False) as session, session.begin():
                session.add(row)
        except IntegrityError:
            raise UserExistsError(f"a user named {name!r} exists already") from None
        return _user(row)

    def list(self) -> list[User]:
        """Every user, disabled ones included, oldest first."""
        with Session(self.engine) as session:
            return [_user(r) for r in session.scalars(select(UserRow).order_by(UserRow.id))]

    def get(self, name: str) -> User | None:
        """The user with this name, or None."""
        with Session(self.engine) as session:
            row = session.scalars(select(UserRow).where(UserRow.name == name)).one_or_none()
            return _user(row) if row is not None else None

    def authenticate(self, name: str, password: str, now: datetime) -> User | None:
        """The enabled user with this name and password (recording `last_login_at`), or None."""
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            row = session.scalars(select(UserRow).where(UserRow.name == name)).one_or_none()
            if row is None:
                self._verify(self._dummy_hash, password)  # same cost as a wrong password
                return None
            if not self._verify(row.password_hash, password) or row.disabled_at is not None:
                return None
            if self.hasher.check_needs_rehash(row.password_hash):
                row.password_hash = self.hasher.hash(password)
            row.last_login_at = now
            return _user(row)

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def set_disabled(self, name: str, now: datetime | None) -> User:
        """Disable a user at `now` (its sessions end at once), or enable it with `now=None`.

        Disabling is idempotent: the first time is kept.

        Raises:
            KeyError: no user with this name.
        """
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            row = session.scalars(select(UserRow).where(UserRow.name == name)).one_or_none()
            if row is None:
                raise KeyError(name)
            if now is None:
                row.disabled_at = None
            else:
                row.disabled_at = row.disabled_at or now
                session.execute(delete(UiSessionRow).where(UiSessionRow.user_id == row.id))
            return _user(row)

    def set_password(self, name: str, password: str) -> User:
        """Replace a user's password (its other sessions end).

        Raises:
            KeyError: no user with this name.
            ValueError: the password is too short.
        """
        _check_password(password)
        with Session(self.engine, expire_on_commit=False) as session, session.begin():
            row = session.scalars(select(UserRow).where(UserRow.name == name)).one_or_none()
            if row is None:
                raise KeyError(name)
            row.password_hash = self.hasher.hash(password)
            session.execute(delete(UiSessionRow).where(UiSessionRow.user_id == row.id))
            return _user(row)
