"""API routes: the live catalog (signatures and rules) with texts in the `Accept-Language`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException

from loghealth.api.deps import ContextDep, Principal, require
from loghealth.api.routes.findings import AcceptLanguage, language
from loghealth.api.schemas import SignatureOut
from loghealth.rules.loader import Catalog, Signature
from loghealth.store.tokens import Role

__all__ = ["router"]

router = APIRouter(tags=["catalog"])
Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]


def _out(signature: Signature, catalog: Catalog, lang: str) -> SignatureOut:
    spec = signature.spec
    text = catalog.text(signature.id, lang)
    return SignatureOut(
        id=signature.id, pack=signature.pack,
        severity=spec.severity.label,
        category=str(spec.category), area=str(spec.area), name=text.name, cause=text.cause,
        fix=text.fix, docs_url=signature.docs_url, patterns=list(spec.patterns),
        min_level=signature.min_level.name if signature.min_level is not None else None,
    )  # fmt: skip


@router.get("/catalog", response_model=list[SignatureOut], summary="List signatures")
async def list_signatures(
    context: ContextDep, _: Viewer, accept_language: AcceptLanguage = None
) -> list[SignatureOut]:
    """Every signature and rule the live engine uses, in catalog order."""
    catalog = context.catalog
    lang = language(accept_language)
    return [_out(s, catalog, lang) for s in catalog.signatures]


@router.get(
    "/catalog/{signature_id}",
    response_model=SignatureOut,
    responses={404: {"description": "no such signature"}},
    summary="One signature",
)
async def get_signature(
    context: ContextDep, _: Viewer, signature_id: str, accept_language: AcceptLanguage = None
) -> SignatureOut:
    """One signature with its text in the requested language (English fallback)."""
    catalog = context.catalog
    signature = catalog.get(signature_id)
    if signature is None:
        raise HTTPException(404, f"no signature {signature_id!r}")
    return _out(signature, catalog, language(accept_language))
