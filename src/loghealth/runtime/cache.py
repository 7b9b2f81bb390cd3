"""Runtime: the on-disk cache of compiled matcher databases (`engine.backends.DatabaseCache`).

Files live in the user's cache directory (`platformdirs`: `~/.cache/loghealth/` on Linux), or
in `$LOGHEALTH_CACHE_DIR`; `LOGHEALTH_CACHE_DIR=off` turns the cache off. Entries are written
atomically (temporary file, then rename), so concurrent scans and worker processes never read
half a file. Any I/O error only makes the cache miss: a scan never fails because of it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import platformdirs

__all__ = ["CACHE_DIR_ENV", "DirectoryCache", "default_cache"]

CACHE_DIR_ENV = "LOGHEALTH_CACHE_DIR"
"""Environment variable naming the cache directory (`off`: no cache)."""
_SUFFIX = ".hsdb"
_MAX_ENTRIES = 64


class DirectoryCache:
    """Serialized databases as `<key>.hsdb` files in one directory (created on first save)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _path(self, key: str) -> Path:
        if not key.isalnum():
            raise ValueError(f"cache key must be alphanumeric: {key!r}")
        return self.directory / f"{key}{_SUFFIX}"

    def load(self, key: str) -> bytes | None:
        """The bytes saved under `key`, or None when missing or unreadable."""
        try:
            return self._path(key).read_bytes()
        except OSError:
            return None

    def save(self, key: str, data: bytes) -> None:
        """Write `data` under `key` atomically; errors are swallowed (the cache just misses)."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(
                dir=self.directory, prefix=".tmp-", suffix=_SUFFIX, delete=False
            ) as handle:
                handle.write(data)
            Path(handle.name).replace(self._path(key))
            self._prune()
        except OSError:
            return

    def _prune(self) -> None:
        """Keep the newest `_MAX_ENTRIES` entries (each rule change makes a new one)."""
        entries = sorted(
            self.directory.glob(f"*{_SUFFIX}"), key=lambda p: p.stat().st_mtime, reverse=True
        )
        for stale in entries[_MAX_ENTRIES:]:
            stale.unlink(missing_ok=True)


def default_cache() -> DirectoryCache | None:
    """The cache named by `$LOGHEALTH_CACHE_DIR`, else the user's cache directory; None if off."""
    configured = os.environ.get(CACHE_DIR_ENV, "").strip()
    if configured.lower() in {"off", "none", "0"}:
        return None
    if configured:
        return DirectoryCache(Path(configured).expanduser())
    return DirectoryCache(Path(platformdirs.user_cache_dir("loghealth")) / "engine")
