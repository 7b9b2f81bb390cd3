"""Sources: syslog transport framing — RFC 6587 for TCP streams, and messages into lines.

Private helper of the syslog listeners: it reads the transport's framing and the `<PRI>1 `
version marker (to pick the parser), never the message's fields.
"""

from __future__ import annotations

import enum
import re

from loghealth.sources._line_buffer import LineBuffer, utf8_prefix

__all__ = ["FramingError", "TcpFramer", "format_hint", "message_lines"]

_RFC5424_START = re.compile(rb"<\d{1,3}>1 ")
_MAX_LENGTH_DIGITS = 10
_TRAILERS = b"\r\n\0"


class FramingError(Exception):
    """The TCP stream breaks RFC 6587 octet counting (bad or missing MSG-LEN)."""


class _Framing(enum.Enum):
    OCTET_COUNTING = "octet-counting"
    NON_TRANSPARENT = "non-transparent"


def format_hint(message: bytes) -> str:
    """Name the parser for a message: RFC 5424 (§6) if it starts with `<PRI>1 `, else RFC 3164.

    Returns `syslog_rfc5424` or `syslog_rfc3164`.
    """
    return "syslog_rfc5424" if _RFC5424_START.match(message) else "syslog_rfc3164"


def message_lines(message: bytes) -> list[str]:
    """Split one syslog message into its lines (UTF-8, invalid bytes replaced).

    Trailing CR, LF and NUL bytes are transport trailers and are removed; a CR before each LF is
    dropped. An empty message gives an empty list.
    """
    text = message.rstrip(_TRAILERS).decode("utf-8", errors="replace")
    if not text:
        return []
    return [line.removesuffix("\r") for line in text.split("\n")]


class TcpFramer:
    """Incremental RFC 6587 framing of one TCP connection, detected on its first byte.

    A first byte 1-9 means octet counting (§3.4.1: `MSG-LEN SP SYSLOG-MSG`); anything else means
    non-transparent framing (§3.4.2) with LF as the trailer — NUL is accepted too (Python's
    `SysLogHandler` and some relays end messages with it). `feed` returns `(message, is_truncated)`
    pairs; messages longer than `max_message_bytes` keep their first bytes (cut on a UTF-8
    boundary) and the rest is discarded unbuffered.

    On an invalid MSG-LEN, or a connection closed inside a counted frame, `failure` is set (a
    `FramingError`) and nothing more is read: the caller should close the connection.
    """

    def __init__(self, max_message_bytes: int) -> None:
        self.max_message_bytes = max_message_bytes
        self._framing: _Framing | None = None
        self._lines = LineBuffer(max_message_bytes)
        self._digits = bytearray()
        self._remaining: int | None = None
        self._message = bytearray()
        self.failure: FramingError | None = None

    def feed(self, data: bytes) -> list[tuple[bytes, bool]]:
        """Add bytes as received; return the messages they complete, in order."""
        if not data or self.failure is not None:
            return []
        if self._framing is None:
            is_counted = data[:1].isdigit() and data[:1] != b"0"
            self._framing = _Framing.OCTET_COUNTING if is_counted else _Framing.NON_TRANSPARENT
        if self._framing is _Framing.NON_TRANSPARENT:
            lines = self._lines.feed(data.replace(b"\0", b"\n"))
            return [(line, cut) for line, cut in lines if line]
        return self._feed_counted(data)

    def flush(self) -> list[tuple[bytes, bool]]:
        """Return what is left when the peer closes (a non-transparent message without trailer)."""
        if self._framing is _Framing.OCTET_COUNTING:
            if self.failure is None and (self._digits or self._remaining is not None):
                self.failure = FramingError("connection closed inside an octet-counted frame")
            return []
        rest = self._lines.flush()
        return [rest] if rest is not None and rest[0] else []

    def _feed_counted(self, data: bytes) -> list[tuple[bytes, bool]]:
        messages: list[tuple[bytes, bool]] = []
        pos = 0
        while pos < len(data):
            if self._remaining is None:
                if not self._digits and data[pos] in _TRAILERS:
                    pos += 1  # tolerate a LF (or NUL) some senders put after each frame
                    continue
                try:
                    pos = self._read_length(data, pos)
                except FramingError as error:
                    self.failure = error
                    break
                continue
            take = min(self._remaining, len(data) - pos)
            # One byte over the cap is kept, so the cut can see whether it splits a character.
            room = self.max_message_bytes + 1 - len(self._message)
            self._message += data[pos : pos + min(take, max(room, 0))]
            self._remaining -= take
            pos += take
            if self._remaining == 0:
                message = bytes(self._message)
                is_truncated = len(message) > self.max_message_bytes
                messages.append((utf8_prefix(message, self.max_message_bytes), is_truncated))
                self._message.clear()
                self._remaining = None
        return messages

    def _read_length(self, data: bytes, pos: int) -> int:
        """Consume MSG-LEN digits (and the SP after them); return the new position."""
        space = data.find(b" ", pos, pos + _MAX_LENGTH_DIGITS + 1)
        end = space if space >= 0 else min(len(data), pos + _MAX_LENGTH_DIGITS + 1)
        self._digits += data[pos:end]
        if (
            not self._digits.isdigit()
            or self._digits.startswith(b"0")
            or len(self._digits) > _MAX_LENGTH_DIGITS
        ):
            raise FramingError(f"invalid MSG-LEN {bytes(self._digits[:16])!r}")
        if space < 0:
            return end
        self._remaining = int(self._digits)
        self._digits.clear()
        return space + 1
