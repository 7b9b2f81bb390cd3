"""The `http` action against a real receiver on loopback, through the real egress guard."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from loghealth.remediation import ActionContext, RunStatus, build_actions
from loghealth.remediation.http import HttpAction
from loghealth.runtime.heal import egress_allow
from loghealth.settings import HttpActionSettings, Settings

CONTEXT = ActionContext(
    action="heal", event="regressed", finding_id=12, signature_id="boom",
    source_id='file:/var/log/"odd" dir\\app.log', severity="critical",
)  # fmt: skip


class Recorder(BaseHTTPRequestHandler):
    """Answers by path: /ok 200, /fail 500, /redirect 302 to /ok, /slow after 3 s, /big 1 MB."""

    requests: list[dict[str, Any]]

    def log_message(self, *args: object) -> None:
        pass

    def _handle(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        self.requests.append(
            {"method": self.command, "path": self.path, "body": body,
             "headers": {k.lower(): v for k, v in self.headers.items()}}
        )  # fmt: skip
        status, answer, extra = {
            "/ok": (200, b"healed", {}),
            "/fail": (500, b"broken", {}),
            "/redirect": (302, b"", {"Location": "/ok"}),
            "/big": (200, b"z" * 1_000_000, {}),
        }.get(self.path, (200, b"late", {}))
        if self.path == "/slow":
            time.sleep(3)
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(answer)  # the client may stop reading (capped output)

    do_GET = do_POST = do_PUT = _handle


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    requests: list[dict[str, Any]] = []
    handler = type("Handler", (Recorder,), {"requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", requests
    server.shutdown()
    server.server_close()


def action(url: str, allow: tuple[str, ...] = ("127.0.0.1",), **settings: Any) -> HttpAction:
    return HttpAction("heal", HttpActionSettings(url=url, **settings), allow)


def run(http_action: HttpAction) -> Any:
    return asyncio.run(http_action.run(CONTEXT))


def test_a_request_reaches_an_allow_listed_receiver(
    receiver: tuple[str, list[dict[str, Any]]],
) -> None:
    base, requests = receiver
    template = '{"finding": $finding_id, "signature": "$signature_id", "source": "$source_id"}'
    result = run(action(f"{base}/ok", headers={"Authorization": "Bearer tok-123"}, body=template))
    assert (result.status, result.exit_code, result.output, result.error) == (
        RunStatus.SUCCEEDED, 200, "healed", None,
    )  # fmt: skip
    [request] = requests
    assert request["method"] == "POST" and request["path"] == "/ok"
    assert json.loads(request["body"]) == {
        "finding": 12, "signature": "boom", "source": 'file:/var/log/"odd" dir\\app.log',
    }  # fmt: skip
    assert request["headers"]["authorization"] == "Bearer tok-123"
    assert request["headers"]["content-type"] == "application/json"


def test_loopback_is_refused_unless_allow_listed(
    receiver: tuple[str, list[dict[str, Any]]],
) -> None:
    base, requests = receiver
    refused = run(action(f"{base}/ok", allow=()))
    assert refused.status is RunStatus.ERROR and refused.exit_code is None
    assert refused.error is not None and "egress guard" in refused.error
    assert "a loopback address" in refused.error
    # a name resolving to loopback (the system resolver, /etc/hosts) is refused the same way
    by_name = run(action(base.replace("127.0.0.1", "localhost") + "/ok", allow=()))
    assert by_name.status is RunStatus.ERROR and "localhost resolves to" in (by_name.error or "")
    assert requests == []
    allowed_by_name = run(action(base.replace("127.0.0.1", "localhost") + "/ok", ("localhost",)))
    assert allowed_by_name.status is RunStatus.SUCCEEDED and len(requests) == 1


def test_error_statuses_fail_and_redirects_are_not_followed(
    receiver: tuple[str, list[dict[str, Any]]],
) -> None:
    base, requests = receiver
    failed = run(action(f"{base}/fail", method="PUT"))
    assert (failed.status, failed.exit_code, failed.output) == (RunStatus.FAILED, 500, "broken")
    assert failed.error == "HTTP 500: not a 2xx status"
    redirected = run(action(f"{base}/redirect", method="GET"))
    assert (redirected.status, redirected.exit_code) == (RunStatus.FAILED, 302)
    assert redirected.error == "HTTP 302: redirects are not followed"
    assert [r["path"] for r in requests] == ["/fail", "/redirect"]


def test_a_slow_endpoint_times_out(receiver: tuple[str, list[dict[str, Any]]]) -> None:
    base, _ = receiver
    started = time.monotonic()
    result = run(action(f"{base}/slow", timeout_secs=0.5))
    assert result.status is RunStatus.TIMED_OUT and result.error == "no answer within 0.5 s"
    assert time.monotonic() - started < 2.5


def test_a_large_answer_is_capped(receiver: tuple[str, list[dict[str, Any]]]) -> None:
    base, _ = receiver
    result = run(action(f"{base}/big", max_output_bytes=10))
    assert result.status is RunStatus.SUCCEEDED
    assert result.output.startswith("z" * 10 + "\n… [output truncated:")


def test_nothing_listening_is_an_error() -> None:
    result = run(action("http://127.0.0.1:9/ok", timeout_secs=2))
    assert result.status is RunStatus.ERROR and "ConnectError" in (result.error or "")


def test_describe_masks_header_values_and_url_passwords() -> None:
    http_action = action(
        "https://ops:pa55word@hooks.example.org/heal", headers={"X-Token": "abc-secret"}
    )
    described = http_action.describe()
    assert described["headers"] == {"X-Token": "**********"}
    assert "pa55word" not in str(described) and "abc-secret" not in str(described)
    assert described["url"] == "https://ops:**********@hooks.example.org/heal"
    assert http_action.preview(CONTEXT) == (
        "would POST https://ops:**********@hooks.example.org/heal"
    )


def test_the_registry_takes_the_allow_list_from_egress_settings(
    receiver: tuple[str, list[dict[str, Any]]],
) -> None:
    base, requests = receiver
    remediation = {"actions": {"hook": {"type": "http", "url": f"{base}/ok"}}}
    for allow, expected in (([], RunStatus.ERROR), (["127.0.0.0/8"], RunStatus.SUCCEEDED)):
        settings = Settings(remediation=remediation, egress={"allow": allow})
        [hook] = build_actions(settings.remediation, egress_allow(settings)).values()
        assert asyncio.run(hook.run(CONTEXT)).status is expected
    assert len(requests) == 1


def test_urls_must_be_http() -> None:
    with pytest.raises(ValueError, match="pattern"):
        HttpActionSettings(url="file:///etc/passwd")
