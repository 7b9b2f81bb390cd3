"""Sources: decode a Docker log stream — frames, lines and timestamp prefixes (transport only).

Implements the Docker Engine API "attach/logs stream format": without a TTY every frame is an
8-byte header (byte 0 = stream: 0 stdin, 1 stdout, 2 stderr; bytes 1-3 zero; bytes 4-7 = big-endian
payload length) then the payload; with a TTY the stream is raw bytes (stdout only).
"""

from __future__ import annotations

import enum
import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from loghealth.sources._line_buffer import LineBuffer, utf8_prefix

__all__ = [
    "MAX_FRAME_BYTES",
    "ContainerStream",
    "DockerStreamError",
    "LogDemuxer",
    "RawLine",
    "parse_timestamp",
]

MAX_FRAME_BYTES = 16 * 1024 * 1024
"""Frames with a longer payload are skipped unread (counted as `frame_too_large`)."""

_HEADER_BYTES = 8
_MAX_PREFIX_BYTES = 36  # len("2006-01-02T15:04:05.999999999+07:00 ")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# RFC 3339 with up to 9 fraction digits (Go's RFC3339Nano; podman prints whole seconds).
_TIMESTAMP = re.compile(
    rb"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2}) "
)
_LINE_END_MESSAGE = re.compile(_TIMESTAMP.pattern + rb"\Z")
"""A TTY line's end logged as a message of its own: its prefix, then nothing (`\r` is gone)."""


class ContainerStream(enum.StrEnum):
    """The output stream a container line was written to."""

    STDOUT = "stdout"
    STDERR = "stderr"


class DockerStreamError(Exception):
    """The bytes are not a Docker multiplexed stream (a frame header is invalid)."""


@dataclass(frozen=True, slots=True)
class RawLine:
    """One line of a container: bytes without timestamp prefix and line ending.

    `timestamp_ns` (UNIX nanoseconds) and `received_at` (aware UTC, microseconds) come from the
    engine's RFC 3339 prefix; both are None when the line has no valid prefix.
    """

    stream: ContainerStream
    data: bytes
    timestamp_ns: int | None
    received_at: datetime | None
    is_truncated: bool


def parse_timestamp(line: bytes) -> tuple[int, datetime, int] | None:
    """Parse an RFC 3339 (nano) timestamp and one space at the start of `line`.

    Returns `(unix_ns, received_at, prefix_length)` with `received_at` aware UTC (truncated to
    microseconds), or None when the prefix is absent or not a valid date and time.
    """
    found = _TIMESTAMP.match(line)
    if found is None:
        return None
    year, month, day, hour, minute, second = (int(found[i]) for i in range(1, 7))
    fraction_ns = int((found[7] or b"0").ljust(9, b"0"))
    zone = found[8]
    offset = timedelta(0)
    if zone != b"Z":
        sign = -1 if zone[:1] == b"-" else 1
        offset = sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
    try:
        instant = datetime(year, month, day, hour, minute, second, tzinfo=timezone(offset))
    except ValueError:
        return None
    since_epoch = instant - _EPOCH
    unix_ns = (since_epoch.days * 86_400 + since_epoch.seconds) * 1_000_000_000 + fraction_ns
    received_at = instant.astimezone(UTC) + timedelta(microseconds=fraction_ns // 1000)
    return unix_ns, received_at, found.end()


class LogDemuxer:
    r"""Incremental decoder of one container's log stream into `RawLine`s.

    Lines are reassembled per stream across frame and chunk boundaries; text beyond
    `max_line_bytes` (not counting the timestamp prefix) is cut off on a UTF-8 boundary and the
    line flagged `is_truncated`. With `has_timestamps`, a frame that continues
    a partial line (the engine splits long lines into several messages, each with its own
    timestamp) has that timestamp validated and stripped, so the line reads as written. A TTY
    stream has no frames: there the engine (podman) sometimes logs a line's `\r\n` as a message
    of its own when the terminal hands it over separately, so a line that ends in a timestamp
    prefix has that prefix dropped too (a line whose text ends in a timestamp and a space loses
    them: on a terminal, rarer than the split).
    Drops (`frame_too_large`) accumulate until `take_drops()`.
    """

    def __init__(self, *, is_tty: bool, has_timestamps: bool, max_line_bytes: int) -> None:
        self.is_tty = is_tty
        self.has_timestamps = has_timestamps
        self.max_line_bytes = max_line_bytes
        buffered = max_line_bytes + (_MAX_PREFIX_BYTES if has_timestamps else 0)
        self._lines = {s: LineBuffer(buffered) for s in ContainerStream}
        self._pending = bytearray()
        self._skip_bytes = 0
        self._drops: Counter[str] = Counter()

    def take_drops(self) -> Counter[str]:
        """Return the drops counted since the last call, by reason."""
        drops, self._drops = self._drops, Counter()
        return drops

    def feed(self, chunk: bytes) -> list[RawLine]:
        """Add bytes as read from the engine; return the lines they complete, in stream order.

        Raises:
            DockerStreamError: if a frame header is invalid (not a multiplexed stream).
        """
        if self.is_tty:
            return self._payload(ContainerStream.STDOUT, chunk)
        self._pending += chunk
        lines: list[RawLine] = []
        pos = 0
        while True:
            if self._skip_bytes:
                skipped = min(self._skip_bytes, len(self._pending) - pos)
                pos += skipped
                self._skip_bytes -= skipped
                if self._skip_bytes:
                    break
            if len(self._pending) - pos < _HEADER_BYTES:
                break
            header = bytes(self._pending[pos : pos + _HEADER_BYTES])
            if header[0] > 2 or header[1:4] != b"\0\0\0":
                raise DockerStreamError(f"invalid frame header {header.hex()}")
            length = int.from_bytes(header[4:8], "big")
            if length > MAX_FRAME_BYTES:
                self._drops["frame_too_large"] += 1
                self._skip_bytes = length
                pos += _HEADER_BYTES
                continue
            end = pos + _HEADER_BYTES + length
            if len(self._pending) < end:
                break
            stream = ContainerStream.STDERR if header[0] == 2 else ContainerStream.STDOUT
            payload = bytes(self._pending[pos + _HEADER_BYTES : end])
            pos = end
            lines += self._payload(stream, payload, is_frame=True)
        del self._pending[:pos]
        return lines

    def flush(self) -> list[RawLine]:
        """Return the partial lines left at the end of the stream (stdout first)."""
        lines = []
        for stream, buffer in self._lines.items():
            rest = buffer.flush()
            if rest is not None:
                lines.append(self._line(stream, *rest))
        return lines

    def _payload(
        self, stream: ContainerStream, data: bytes, is_frame: bool = False
    ) -> list[RawLine]:
        buffer = self._lines[stream]
        if is_frame and self.has_timestamps and buffer.has_partial:
            continued = parse_timestamp(data)
            if continued is not None:
                data = data[continued[2] :]
        return [self._line(stream, line, cut) for line, cut in buffer.feed(data)]

    def _line(self, stream: ContainerStream, data: bytes, is_truncated: bool) -> RawLine:
        stamp = parse_timestamp(data) if self.has_timestamps else None
        unix_ns, received_at = (stamp[0], stamp[1]) if stamp else (None, None)
        if stamp is not None:
            data = data[stamp[2] :]
            if self.is_tty:
                data = _LINE_END_MESSAGE.sub(b"", data, count=1)
        if len(data) > self.max_line_bytes:
            data, is_truncated = utf8_prefix(data, self.max_line_bytes), True
        return RawLine(stream, data, unix_ns, received_at, is_truncated)
