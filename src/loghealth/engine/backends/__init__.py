"""Engine: prefilter backends — `fast` (Hyperscan/Vectorscan) and `portable` (Aho-Corasick).

`create_prefilter` picks one; both return candidate supersets, so hits never depend on the choice.
"""

from __future__ import annotations

from collections.abc import Sequence

from loghealth.engine.backends.base import DatabaseCache, EngineKind, Prefilter
from loghealth.engine.backends.portable import PortablePrefilter
from loghealth.rules.compile import CompiledSignature

__all__ = [
    "DatabaseCache",
    "EngineKind",
    "EngineUnavailableError",
    "Prefilter",
    "create_prefilter",
    "fast_available",
]


class EngineUnavailableError(RuntimeError):
    """`--engine fast` was asked for but the `hyperscan` package cannot be imported here."""


def fast_available() -> bool:
    """True when the `hyperscan` package (the fast backend) imports on this platform."""
    try:
        import hyperscan  # noqa: F401 - optional dependency, probed
    except ImportError:
        return False
    return True


def create_prefilter(
    kind: EngineKind | str,
    compiled: Sequence[CompiledSignature],
    cache: DatabaseCache | None = None,
) -> Prefilter:
    """Build the prefilter `kind` over `compiled` (indices follow its order).

    `auto` gives `fast` when Hyperscan imports, else `portable`. `cache` keeps the fast
    backend's compiled database between runs (see `hsdb`).

    Raises:
        EngineUnavailableError: `fast` was asked for and Hyperscan is not installed.
        ValueError: `kind` is not an `EngineKind` value.
    """
    kind = EngineKind(kind)
    if kind is EngineKind.AUTO:
        kind = EngineKind.FAST if fast_available() else EngineKind.PORTABLE
    if kind is EngineKind.FAST:
        if not fast_available():
            raise EngineUnavailableError(
                "the fast engine needs the 'hyperscan' package, which has no wheel for this "
                "platform; use --engine portable"
            )
        from loghealth.engine.backends.fast import FastPrefilter

        return FastPrefilter([c.signature.spec.patterns for c in compiled], cache)
    return PortablePrefilter([c.literals for c in compiled])
