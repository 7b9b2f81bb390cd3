"""API routes: API tokens (superadmin) — create (secret shown once), list, revoke."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException

from loghealth.api.deps import ContextDep, Principal, RowId, require
from loghealth.api.schemas import TokenCreatedOut, TokenIn, TokenOut
from loghealth.store.tokens import ApiToken, Role

__all__ = ["router"]

router = APIRouter(tags=["tokens"])
Superadmin = Annotated[Principal, Depends(require(Role.SUPERADMIN))]


def _out(token: ApiToken) -> TokenOut:
    return TokenOut(
        id=token.id, name=token.name, role=str(token.role),
        prefix=token.prefix, created_at=token.created_at, last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
    )  # fmt: skip


@router.get("/tokens", response_model=list[TokenOut], summary="List tokens")
async def list_tokens(context: ContextDep, _: Superadmin) -> list[TokenOut]:
    """Every token (never a secret), revoked ones included."""
    return [_out(t) for t in await asyncio.to_thread(context.tokens.list)]


@router.post("/tokens", response_model=TokenCreatedOut, status_code=201, summary="Create token")
async def create_token(context: ContextDep, _: Superadmin, body: TokenIn) -> TokenCreatedOut:
    """A new token; its secret is in this response only."""
    token, secret = await asyncio.to_thread(
        context.tokens.create, body.name, Role(body.role), context.clock.now()
    )
    return TokenCreatedOut(**_out(token).model_dump(), token=secret)


@router.delete(
    "/tokens/{token_id}",
    response_model=TokenOut,
    responses={404: {"description": "no such token"}},
    summary="Revoke token",
)
async def revoke_token(context: ContextDep, _: Superadmin, token_id: RowId) -> TokenOut:
    """Revoke a token (effective within a few seconds everywhere)."""
    try:
        token = await asyncio.to_thread(context.tokens.revoke, token_id, context.clock.now())
    except KeyError:
        raise HTTPException(404, f"no token with id {token_id}") from None
    context.forget_credentials()
    return _out(token)
