"""Quick patterns: a line they match surely starts a one-line record that holds its message."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loghealth.parsing import ParseContext, create_parser
from loghealth.parsing.jvm import _LAYOUTS
from loghealth.parsing.python_logging import _VARIANTS
from loghealth.parsing.quick import depends_on_state, line_bytes, quick_pattern

FORMATS = (
    "python_logging",
    "log4j",
    "smarty",
    "syslog_rfc5424",
    "syslog_rfc3164",
    "clf",
    "nginx_error",
    "apache_error",
    "logfmt",
    "glog",
    "postgres",
    "mysql",
    "redis",
    "logcat",
    "oslo",
    "zeek",
    "json_lines",
    "journald_json",
)
STATEFUL = {"python_logging": _VARIANTS, "log4j": _LAYOUTS}
LOGS = Path(__file__).parents[2] / "data" / "logs"
CONTEXTS = [
    ParseContext.default(),
    ParseContext(tz=timezone(timedelta(hours=14)), now=datetime(2026, 1, 1, tzinfo=UTC)),
    ParseContext(tz=timezone(timedelta(hours=-12)), now=datetime(2026, 1, 1, tzinfo=UTC)),
]
PRINTABLE = re.compile(r"[\t\x20-\x7e]*")

SEEDS = [
    "2026-01-01 00:00:00,564 - uvicorn.access - DEBUG - session user id=636296 took 861ms",
    "2026-01-01 00:00:00,564 - ERROR - app - x",
    "2024-05-01 10:00:00,123 ERROR app.db: database is locked",
    "2024-05-01 10:00:00 INFO [app] [abc123] started",
    "2024-05-01T10:00:00Z | WARNING | app | slow",
    "[ERROR] 2024-05-01 10:00:00 app: boom",
    "2024-05-01 10:00:00,123 [ERROR] app: boom",
    "[2024-05-01 10:00:00] [INFO] plain",
    "[WARNING] 0001-01-01 00:00:00+01:00 app: year one, read as a time by the parser",
    "[2024-05-01 10:00:00 +0000] [12] [INFO] Starting gunicorn 21.2.0",
    "ERROR:app.db:database is locked",
    "INFO:     Application startup complete.",
    "Jan 01 00:00:00 host2 dhclient[5813]: Accepted publickey for deploy",
    "Feb 29 10:00:00 host sshd: leap day",
    "Feb 30 10:00:00 host sshd: no such day",
    "Apr 31 10:00:00 host x: no such day",
    "<34>Oct 11 22:14:15 mymachine su: 'su root' failed for lonvick on /dev/pts/8",
    "<999>Oct 11 22:14:15 mymachine su: bad priority",
    "Dec  9 24:00:00 host kernel: bad hour",
    "Mar  1 23:59:59 host message without a tag",
    "2024-05-01T10:00:00.123456+02:00 web1 nginx[812]: connect() failed",
    "<13>2024-02-29T10:00:00Z host cron: leap day",
    "2023-02-29T10:00:00Z host cron: no such day",
    "0000-01-01T00:00:00+05:00 host x: year zero",
    "2024-13-01T10:00:00Z host x: month 13",
    "2024-05-01T10:00:00+24:00 host x: bad offset",
    "2024-05-01T10:00:00.1234567891Z host x: long fraction",
    '10.0.19.87 - - [01/Jan/2026:00:00:00 +0000] "GET /api HTTP/1.1" 200 1874 "-" "Mozilla/5.0"',
    '10.0.0.1 - - [99/Foo/2026:00:00:00 +0000] "GET / HTTP/1.1" 502 - "-" "-"',
    'host:80 10.0.0.1 - - [01/Jan/2026:00:00:00 +0000] "GET /x\\"y HTTP/1.1" 500 1',
    '{"timestamp": "2026-01-01T00:00:00Z", "level": "error", "event": "worker processed"}',
    '{"level": 50, "msg": "boom", "time": 1714557600000}',
    '{"msg": 5, "level": "error"}',
    '{"msg": "a", "error": "Traceback (most recent call last):"}',
    '{"message": "", "text": "second", "level": 1e999}',
    '{"msg": "x", "msg": 1}',
    '{"a": {"b": 1}, "msg": "nested"}',
    '  {"msg": "indented"}  ',
    "[]",
    # log4j / logback / Spring Boot / ZooKeeper / Spark / HDFS
    "2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created",
    "2024-05-01 10:00:00.123 [main] INFO  com.example.App - started in 1.2 s",
    "2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:2181:FastLeaderElection@774] - Notif",
    "2024-05-01 10:00:00.123  INFO 4711 --- [           main] o.s.b.SpringApplication : Started",
    "2024-05-01 10:00:00,123 ERROR com.example.App - boom",
    "2024-05-01 10:00:00,123 ERROR com.example.App (App.java:main(42)) - boom",
    "17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers",
    "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 terminating",
    "10:00:00.123 [main] INFO  com.example.App - no date",
    "0001-01-01 00:00:00,000+01:00 ERROR com.example.App - year one",
    "9999-12-31 23:59:59-05:00 INFO [main] a.B: year 9999",
    "2024-02-30 10:00:00,123 WARN [main] a.B: no such day",
    "\tat org.apache.hadoop.ipc.Client.call(Client.java:1406)",
    "Caused by: java.net.ConnectException: Connection refused",
    # smarty
    "Fri Mar 24 10:22:35+0300 2017 DEBUG api:621 get[83630.Thread-3] LOGIN_SUCCESS 'ip'='1.2.3'",
    "Fri Mar 24 10:22:36+0300 2017 ERROR accounts:120 login[83630.Thread-4] LOGIN_ERROR 'p'={'a'",
    "Mon Feb 30 10:22:36+0300 2017 INFO a:1 f[1.MainThread]",
    "Mon Jan  1 00:00:00+0100 0001 INFO a:1 f[1.x] year one",
    "Tue Foo 12 99:99:99+9999 2017 WARN a:1 f[1.] bad date",
    # RFC 5424
    "<165>1 2024-05-01T10:00:00.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473"
    ' iut="3" eventSource="Application"] An application event log entry',
    "<34>1 2024-05-01T10:00:01Z host su - ID47 - 'su root' failed for lonvick on /dev/pts/8",
    "<11>1 - - myapp 1234 - -",
    '<11>1 - - myapp 1234 - [a x="\\]"][b] escaped bracket',
    "<11>1 0001-01-01T00:00:00+01:00 h a - - - year one",
    "<11>1 2024-05-01T10:00:00Z h a - - [unclosed",
    # nginx
    '2024/05/01 10:00:02 [notice] 1#1: using the "epoll" event method',
    "2024/05/01 10:00:04 [error] 29#29: *45 connect() failed (111: Connection refused), client: x",
    "2024/13/45 10:00:04 [error] 29#29: bad date",
    "0001/01/01 00:00:00 [error] 1#1: year one",
    # Apache httpd, CUPS
    "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
    "[Sun Dec 04 05:15:09 2005] [error] [client 192.0.2.44] Directory index forbidden by rule: /",
    "[Wed Oct 11 14:32:52.123456 2023] [core:error] [pid 35708:tid 4328636416] [client 1:2] AH0",
    "[Wed Oct 11 14:32:55.000000 2023] [http:trace3] [pid 7:tid 9] http_filters.c(582): Headers",
    "[Wed Oct 11 14:32:55 2023] [proxy:bogus] unknown level",
    "[Wed Oct 11 14:32:55 2023] [e] one letter",
    "[Wed Feb 30 14:32:55 2023] [warn] no such day",
    "E [01/May/2024:10:00:00 +0000] CUPS error",
    # logfmt
    'time=2024-05-01T10:00:00Z level=info msg="server started" addr=:8080 version=1.4.2',
    'time=2024-05-01T10:00:01.250Z level=warn msg="slow query" query="SELECT \\"orders\\""',
    'ts=1714557602.5 lvl=error caller=db.go:42 msg="connect: \\"refused\\"" err="dial"',
    "level=debug component=cache evicted=12",
    "component=cache evicted=12",
    "msg=alone",
    'msg="" level=info',
    "level=info msg=C:\\temp\\x",
    "time=0001-01-01T00:00:00+01:00 level=info msg=year-one",
    'ts=" 9999-12-31T23:59:59-01:00" level=info msg=late',
    'a="x level=1" b=2',
    "  level=info msg=indented",
    # glog / klog
    "I0501 10:00:00.619642  952452 server.cc:259] Listening on 0.0.0.0:9000",
    "F20240501 10:00:03.000001 1952452 main.cc:88] Check failed: config_ != nullptr",
    "E1399 10:00:02.619632 1952452 db.cc:253] bad month",
    "I00010101 00:00:00.000000 1 a.cc:1] year one",
    # PostgreSQL
    "2024-05-01 10:00:00.127 UTC [12347] LOG:  database system was shut down at 09:59:58 UTC",
    "2024-05-01 10:00:02 CEST [30291]: db=shop,user=app,client=[local] ERROR:  duplicate key",
    "2024-05-01 10:00:02 CEST [30291]: db=shop,user=app,client=[local] DETAIL:  Key (id)=(42)",
    "2024-05-01 10:00:02 CEST [30291]: db=shop STATEMENT:  INSERT INTO t VALUES ('LOG:  x');",
    "2024-05-01 10:00:03.440 -0800 [691] [queryid=1] postgres@shop LOG:  duration: 0.140 ms",
    "2024-05-01 10:00:03 LOG: DETAIL:  zone or level",
    "2024-05-01 10:00:03 UTC [1] DEBUG3:  deep",
    "0001-01-01 00:00:00 +01:00 [1] LOG:  year one",
    # MySQL / MariaDB
    "2024-05-01T10:00:00.835618Z 0 [System] [MY-010116] [Server] /usr/sbin/mysqld starting",
    "2024-05-01 10:00:03 140 [Note] Aborted connection 140 to db: 'shop' user: 'app'",
    "240501 10:00:04 [ERROR] /usr/sbin/mysqld: Table './shop/orders' is marked as crashed",
    "2024-05-01T10:00:05.259438Z\t    9 Query\tselect * from orders",
    "2024-05-01T10:00:05.259438Z\t    9 Quit\t",
    "0001-01-01T00:00:00+01:00 1 [Note] year one",
    # Redis
    "1:C 01 May 2024 10:00:00.000 # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
    "1:S 01 May 2024 10:00:02.500 - Accepted 192.0.2.5:6379",
    "[3574] 01 May 10:00:03.731 # Sentinel runid is 2e3b1eed9e95d760e1853e047a33bf4f8ac16c59",
    "1:signal-handler (1714557604) Received SIGTERM scheduling shutdown...",
    "1:M 31 Feb 2024 10:00:00.000 * no such day",
    "1:M 01 Jan 0001 00:00:00.000 * year one",
    # logcat
    "05-01 10:00:00.509  1000 23402 23402 V VirtualCameraSession: processCaptureRequest: x",
    "05-01 10:00:01.808  1047  1116 E FMQ     : MQDescriptor is invalid or queue size is 0.",
    "05-01 10:00:04.870 I/ActivityManager( 1766): Start proc 2001:com.example.app/u0a85",
    "E/AndroidRuntime( 2001): FATAL EXCEPTION: main",
    "13-45 10:00:04.870 I/Tag( 1): bad date",
    # oslo.log
    "2024-05-01 10:00:01.120 25746 WARNING nova.compute.manager [-] [instance: b9] While sync",
    "2024-05-01 10:00:02.300 25747 ERROR oslo_messaging.rpc.server Traceback (most recent call)",
    '2024-05-01 10:00:02.300 25747 ERROR oslo_messaging.rpc.server   File "/usr/x.py", line 1',
    "nova-compute.log 2024-05-01 10:00:03.000 2931 DEBUG nova.virt.libvirt.driver [-] Starting",
    "2024-05-01 10:00:02.300 25747 AUDIT nova.compute [req-1 - - - - -] audit",
    "0001-01-01 00:00:00+01:00 1 INFO a [-] year one",
    # Zeek
    "#fields\tts\tuid\tid.orig_h",
    "1714557600.123456\tCx1\t192.0.2.1\t51234",
    "1714557600\tCx1",
    "17145576\tshort",
    # journald
    '{"__REALTIME_TIMESTAMP":"1714557600000000","PRIORITY":"6","_PID":"812","MESSAGE":"Accepted"}',
    '{"__REALTIME_TIMESTAMP": 1714557600000000, "PRIORITY": 3, "MESSAGE": "numbers"}',
    '{"__REALTIME_TIMESTAMP":"1714557603000000","_COMM":"app","MESSAGE":[104,105,255]}',
    '{"__REALTIME_TIMESTAMP":"1","MESSAGE":true}',
    '{"__REALTIME_TIMESTAMP":"1","MESSAGE":"a","MESSAGE":null}',
    '{"x":"__REALTIME_TIMESTAMP","y":"MESSAGE"}',
    '{"__REALTIME_TIMESTAMP":"1","MESSAGE":"tab\\there"}',
    "Traceback (most recent call last):",
    '  File "/app/x.py", line 3, in <module>',
    "",
    "   ",
]


def _quick(parser: object) -> re.Pattern[bytes] | None:
    source = quick_pattern(parser)  # type: ignore[arg-type]
    return None if source is None else re.compile(source, re.MULTILINE)


def _check(fmt: str, line: str, parser: object | None = None) -> bool:
    """Assert the quick-pattern contract for one line; return whether it matched."""
    parser = parser or create_parser(fmt)
    quick = _quick(parser)
    if quick is None or not PRINTABLE.fullmatch(line):
        return False
    data = b"\n" + line.encode() + b"\n" + b"2024-05-01 10:00:00 - next - INFO - line\n"
    if quick.match(data, 1) is None:
        return False
    state = repr(vars(parser))
    for ctx in CONTEXTS:  # `ctx.tz` matters: moving a naive year-1 time to UTC overflows
        parsed = parser.parse(line, ctx)  # type: ignore[attr-defined]
        assert parsed is not None, (fmt, line)
        assert not parsed.continuation
        assert parsed.message in line, (fmt, line, parsed.message)
        assert repr(vars(parser)) == state
    return True


def test_line_bytes_keeps_each_match_on_its_line() -> None:
    assert line_bytes(r"(?P<a>\s+)[^\]\s]x[\s,]") == rb"(?:[ \t]+)[^\] \t\n]x[ \t,]"
    assert line_bytes(r"[^]x]") == rb"[^\]x\n]"
    with pytest.raises(ValueError, match="newline"):
        line_bytes(r"\W")


@pytest.mark.parametrize("fmt", FORMATS)
def test_seed_lines_keep_the_contract(fmt: str) -> None:
    matched = [line for line in SEEDS if _check(fmt, line)]
    assert matched, f"{fmt}: no seed line is quick"


def _at(fmt: str, label: str) -> object:
    parser = create_parser(fmt)
    order = parser._order  # type: ignore[attr-defined]
    while order[0][0] != label:  # bring `label` to the front, as parsing a line of it would
        order.append(order.pop(0))
    return parser


def _parsers() -> list[tuple[str, object]]:
    """Every format's parser, a stateful one once in each state."""
    return [
        (fmt, parser)
        for fmt in FORMATS
        for parser in (
            [_at(fmt, label) for label, _ in STATEFUL[fmt]]
            if fmt in STATEFUL
            else [create_parser(fmt)]
        )
    ]


@pytest.mark.parametrize(
    ("fmt", "label"), [(fmt, label) for fmt, layouts in STATEFUL.items() for label, _ in layouts]
)
def test_each_layout_pattern_follows_its_layout(fmt: str, label: str) -> None:
    assert any(_check(fmt, line, _at(fmt, label)) for line in SEEDS), f"{fmt} {label}: none"


_PIECES = st.sampled_from(
    [*"0123456789 -:[]{}\",.|<>TZ+/\t\\=#*@()", "ERROR", "INFO", "app", "Jan", "Feb", "29", "30",
     "31", "2024-05-01", "10:00:00", ",123", "msg", "error", "event", "true", "null", "1e5",
     "0001", "9999", "level=", "LOG:  ", "DETAIL:  ", "[-] ", "[pid 1] ", "MESSAGE", "trace1",
     "1" * 4400, "Traceback (most recent call last):", "  File"]
)  # fmt: skip


@given(st.sampled_from(SEEDS), st.lists(st.tuples(st.integers(0, 120), _PIECES), max_size=4))
@settings(max_examples=600, deadline=None)
def test_mutated_lines_keep_the_contract(seed: str, edits: list[tuple[int, str]]) -> None:
    line = seed
    for position, piece in edits:
        line = line[:position] + piece + line[position + 1 :]
    for fmt, parser in _parsers():
        _check(fmt, line, parser)


def _real_lines(shared_data: Path) -> list[list[str]]:
    """Lines of each real log (the first 3000), lnav's format samples and the test logs."""
    paths = sorted(p for p in shared_data.rglob("*") if p.is_file())
    paths += sorted(LOGS.glob("*/*.log"))
    texts = [
        p.read_bytes().decode("utf-8", errors="replace")
        for p in paths
        if p.stat().st_size < 2_000_000
    ]
    samples = (shared_data / "lnav" / "format_samples.jsonl").read_text().splitlines()
    return [text.split("\n")[:3000] for text in texts] + [
        [json.loads(sample)["line"] for sample in samples]
    ]


def test_real_logs_keep_the_contract(shared_data: Path) -> None:
    matched = dict.fromkeys(FORMATS, 0)
    for lines in _real_lines(shared_data):
        for fmt, parser in _parsers():
            matched[fmt] += sum(_check(fmt, line, parser) for line in lines)
    assert all(matched.values()), matched


@pytest.mark.parametrize("fmt", FORMATS)
def test_only_stateful_parsers_change_their_quick_pattern(fmt: str) -> None:
    parser = create_parser(fmt)
    before = quick_pattern(parser)  # type: ignore[arg-type]
    seen = {before}
    for line in SEEDS * 2:
        parser.parse(line, CONTEXTS[0])  # type: ignore[attr-defined]
        seen.add(quick_pattern(parser))  # type: ignore[arg-type]
    assert (len(seen) > 1) == depends_on_state(parser)  # type: ignore[arg-type]
