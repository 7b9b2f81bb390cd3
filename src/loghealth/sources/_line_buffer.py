"""Sources: split a byte stream into lines with a size cap (shared by live sources).

Private helper: bytes arrive in arbitrary chunks; complete lines come out without their LF (and
without a CR before it). A line longer than the cap is truncated on a UTF-8 boundary and flagged.
"""

from __future__ import annotations

__all__ = ["LineBuffer", "utf8_prefix"]


def utf8_prefix(data: bytes, limit: int) -> bytes:
    """Return at most `limit` bytes of `data`, cut before a UTF-8 continuation byte.

    A multi-byte character is never split (its lead byte is dropped with it), so the result
    decodes as well as `data` does. `limit` counts bytes and must be >= 0.
    """
    if len(data) <= limit:
        return data
    cut = limit
    # Back off over continuation bytes (0b10xxxxxx): at most 3 in valid UTF-8.
    while cut > 0 and limit - cut < 3 and data[cut] & 0xC0 == 0x80:
        cut -= 1
    return data[:cut]


class LineBuffer:
    """Incremental LF splitter with a per-line cap of `max_line_bytes` bytes.

    `feed` returns `(line, is_truncated)` pairs for every line completed by the chunk. A line
    longer than the cap keeps its first `max_line_bytes` bytes (cut on a UTF-8 boundary) and the
    rest, up to the next LF, is discarded without being buffered, so memory stays bounded.

    Raises:
        ValueError: if `max_line_bytes` < 1.
    """

    def __init__(self, max_line_bytes: int) -> None:
        if max_line_bytes < 1:
            raise ValueError(f"max_line_bytes must be >= 1, got {max_line_bytes}")
        self.max_line_bytes = max_line_bytes
        self._parts = bytearray()
        self._is_discarding = False

    @property
    def has_partial(self) -> bool:
        """True while a line has started but its LF has not arrived."""
        return bool(self._parts) or self._is_discarding

    def feed(self, data: bytes) -> list[tuple[bytes, bool]]:
        """Add a chunk; return the lines it completes, in order, as `(bytes, is_truncated)`."""
        lines: list[tuple[bytes, bool]] = []
        view = memoryview(data)
        start = 0
        while True:
            end = data.find(b"\n", start)
            if end < 0:
                self._append(view[start:])
                return lines
            self._append(view[start:end])
            lines.append(self._take())
            start = end + 1

    def flush(self) -> tuple[bytes, bool] | None:
        """Return the partial line at the end of the stream (if any) and reset."""
        return self._take() if self.has_partial else None

    def _append(self, piece: memoryview) -> None:
        if self._is_discarding or not piece:
            return
        # One byte of slack so that "<max bytes>\r\n" is not mistaken for a long line.
        room = self.max_line_bytes + 1 - len(self._parts)
        if len(piece) > room:
            self._parts += piece[: max(room, 0)]
            self._is_discarding = True
        else:
            self._parts += piece

    def _take(self) -> tuple[bytes, bool]:
        line = bytes(self._parts)
        is_truncated = self._is_discarding
        self._parts.clear()
        self._is_discarding = False
        if not is_truncated and line.endswith(b"\r"):
            line = line[:-1]
        if is_truncated or len(line) > self.max_line_bytes:
            return utf8_prefix(line, self.max_line_bytes), True
        return line, False
