"""API routes: `POST /scan` — scan an uploaded log file; the answer is `loghealth scan`'s JSON.

The body is the file itself (any content type but multipart, e.g. `text/plain`,
`application/octet-stream`; gzip is detected) or `multipart/form-data` with a `file` part. It is
limited like every body (`api.max_body_bytes`, 413 beyond). The catalog is the server's: packs,
rule files and global stored rules. Viewer role.
"""

from __future__ import annotations

import asyncio
import tempfile
from email import message_from_bytes
from email.message import Message
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import JSONResponse

from loghealth.api.deps import ApiContext, ContextDep, Principal, require
from loghealth.api.routes.findings import AcceptLanguage, language
from loghealth.api.schemas import ScanOut
from loghealth.engine.backends import EngineKind
from loghealth.parsing import format_names, resolve_timezone
from loghealth.report import scan_document
from loghealth.rules.loader import CatalogError
from loghealth.runtime import ScanOptions, scan_inputs
from loghealth.runtime.serve import build_engine
from loghealth.sources import FileInput, InputError
from loghealth.store.rules import RuleStore
from loghealth.store.tokens import Role

__all__ = ["router"]

router = APIRouter(tags=["scan"])
Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
_UPLOAD_NAME = "upload"
_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "text/plain": {"schema": {"type": "string"}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


def _multipart_file(content_type: str, body: bytes) -> tuple[bytes, str | None]:
    """The `file` part of a `multipart/form-data` body (RFC 7578) and its file name.

    Raises:
        HTTPException: 400 when the body has no `file` part.
    """
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message: Message = message_from_bytes(head + body)
    for part in message.walk() if message.is_multipart() else ():
        if part.is_multipart() or part.get_param("name", header="content-disposition") != "file":
            continue
        payload = part.get_payload(decode=True)
        filename = part.get_filename()
        return (payload if isinstance(payload, bytes) else b""), filename
    raise HTTPException(400, "multipart body without a `file` part")


def _scan(context: ApiContext, data: bytes, name: str, log_format: str | None, lang: str) -> Any:
    """Write the upload to a private temporary file and scan it as the CLI would (one job)."""
    settings = context.settings
    rules = RuleStore(context.store.engine).list()
    try:
        engine = build_engine(settings, rules, EngineKind.PORTABLE)  # hits never depend on it
    except CatalogError as error:
        raise HTTPException(503, f"the catalog cannot be loaded: {error}") from None
    options = ScanOptions(
        tz=resolve_timezone(settings.timezone), now=context.clock.now(), format=log_format
    )
    with tempfile.TemporaryDirectory(prefix="loghealth-scan-") as folder:
        path = FilePath(folder) / "upload.log"
        path.write_bytes(data)
        try:
            result = scan_inputs([FileInput(name, path, len(data))], engine, options)
        except InputError as error:
            raise HTTPException(400, str(error).replace(str(path), name)) from None
    return scan_document(result, engine.catalog, lang)


@router.post(
    "/scan",
    response_model=ScanOut,
    responses={400: {"description": "unknown format, or a multipart body without `file`"},
               413: {"description": "the file is larger than the body limit"}},
    openapi_extra=_BODY_DOC,
    summary="Scan an uploaded log file",
)  # fmt: skip
async def scan_upload(
    context: ContextDep,
    _: Viewer,
    request: Request,
    log_format: Annotated[
        str | None, Query(alias="format", max_length=64, description="force a format")
    ] = None,
    name: Annotated[
        str | None,
        Query(max_length=512, description="source name in the report (default: the file name)"),
    ] = None,
    accept_language: AcceptLanguage = None,
) -> JSONResponse:
    """Scan one uploaded file; return exactly what `loghealth scan --output json` prints."""
    if log_format is not None and log_format not in format_names():
        raise HTTPException(400, f"format {log_format!r}: use one of {', '.join(format_names())}")
    body = await request.body()
    content_type = request.headers.get("content-type", "")
    filename = None
    if content_type.lower().startswith("multipart/"):
        body, filename = _multipart_file(content_type, body)
    label = name or filename or _UPLOAD_NAME
    document = await asyncio.to_thread(
        _scan, context, body, label, log_format, language(accept_language)
    )
    return JSONResponse(document)
