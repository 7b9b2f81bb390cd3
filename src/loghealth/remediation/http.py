"""Remediation: the `http` action — call an endpoint, always through the egress (SSRF) guard.

The URL is vetted by `loghealth.egress` before anything is sent: loopback, private, link-local
(cloud metadata) and similar addresses are refused unless listed in `egress.allow`, the
connection goes to the vetted address only (no second lookup), and redirects are not followed.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from string import Template
from typing import Any

import httpx

from loghealth.egress import EgressPolicy, EgressRefused, egress_client
from loghealth.remediation.base import MASK, ActionContext, ActionResult, OutputBuffer, RunStatus
from loghealth.settings import HttpActionSettings

__all__ = ["HttpAction"]

_JSON = "application/json"


class HttpAction:
    """Sends one request per run; a 2xx answer is `succeeded`, any other status `failed`.

    Args:
        name: the action's name in `remediation.actions`.
        settings: method, url, headers, body template, timeout_secs, max_output_bytes,
            cooldown_secs.
        egress_allow: `settings.egress.allow` (internal hosts/CIDRs this action may reach).
        policy: the guard's policy (default: `EgressPolicy(egress_allow)`; tests inject one).

    Raises:
        ValueError: an entry of `egress_allow` is malformed.
    """

    type = "http"

    def __init__(
        self,
        name: str,
        settings: HttpActionSettings,
        egress_allow: Sequence[str] = (),
        *,
        policy: EgressPolicy | None = None,
    ) -> None:
        self.name = name
        self.settings = settings
        self.cooldown_secs = settings.cooldown_secs
        self.policy = policy or EgressPolicy(egress_allow)

    def body(self, context: ActionContext) -> str | None:
        """The body template filled in (None: no body configured).

        `$finding_id`, `$signature_id`, `$source_id`, `$severity`, `$event` and `$action` are
        replaced by JSON-string-escaped values; other `$` words are left as they are.
        """
        if self.settings.body is None:
            return None
        values = {key: json.dumps(value)[1:-1] for key, value in context.variables().items()}
        return Template(self.settings.body).safe_substitute(values)

    def headers(self) -> dict[str, str]:
        """The headers to send (secret values revealed).

        `Content-Type: application/json` is added when there is a body and no content type.
        """
        headers = {key: value.get_secret_value() for key, value in self.settings.headers.items()}
        has_type = any(key.lower() == "content-type" for key in headers)
        if self.settings.body is not None and not has_type:
            headers["Content-Type"] = _JSON
        return headers

    def describe(self) -> dict[str, Any]:
        """Settings without secrets: header values and a password in the URL read as `MASK`."""
        described = self.settings.model_dump(mode="json")
        described["headers"] = dict.fromkeys(self.settings.headers, MASK)
        url = httpx.URL(self.settings.url)
        if url.password:
            described["url"] = str(url.copy_with(username=url.username, password=MASK))
        return described

    def preview(self, context: ActionContext) -> str:
        """`would <METHOD> <url>` (with the password of the URL masked)."""
        return f"would {self.settings.method} {self.describe()['url']}"

    async def run(self, context: ActionContext) -> ActionResult:
        """Vet the URL, send the request and keep the first `max_output_bytes` of the answer.

        A refused URL or a transport failure is `error`, no answer within `timeout_secs` (the
        whole request) `timed_out`, a status outside 2xx (a redirect included) `failed`.
        """
        settings = self.settings
        started = time.monotonic()
        output = OutputBuffer(settings.max_output_bytes)
        try:
            async with asyncio.timeout(settings.timeout_secs):
                code = await self._send(context, output)
        except EgressRefused as error:
            return self._result(RunStatus.ERROR, None, output, started, f"egress guard: {error}")
        except (TimeoutError, httpx.TimeoutException):
            error_text = f"no answer within {settings.timeout_secs:g} s"
            return self._result(RunStatus.TIMED_OUT, None, output, started, error_text)
        except httpx.HTTPError as error:
            return self._result(RunStatus.ERROR, None, output, started, f"{error!r}")
        if httpx.codes.is_success(code):
            return self._result(RunStatus.SUCCEEDED, code, output, started, None)
        why = "redirects are not followed" if httpx.codes.is_redirect(code) else "not a 2xx status"
        return self._result(RunStatus.FAILED, code, output, started, f"HTTP {code}: {why}")

    async def _send(self, context: ActionContext, output: OutputBuffer) -> int:
        settings = self.settings
        async with (
            egress_client(self.policy, timeout_secs=settings.timeout_secs) as client,
            client.stream(
                settings.method,
                settings.url,
                headers=self.headers(),
                content=self.body(context),
            ) as response,
        ):
            async for chunk in response.aiter_bytes():
                output.feed(chunk)
                if output.is_truncated:  # enough kept: do not read an endless answer
                    break
            return response.status_code

    @staticmethod
    def _result(
        status: RunStatus,
        code: int | None,
        output: OutputBuffer,
        started: float,
        error: str | None,
    ) -> ActionResult:
        return ActionResult(status, code, output.text(), time.monotonic() - started, error)
