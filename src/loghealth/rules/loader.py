"""Rules: load shipped packs (package data) and user rule files into one `Catalog`.

Shipped packs must be valid (a broken pack is our bug and raises). User rule files are validated
entry by entry: a broken rule is left out and reported in `Catalog.errors`, never a crash.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from loghealth.model import Level
from loghealth.rules.schema import (
    PackFile,
    PackMeta,
    SignaturesFile,
    SignatureSpec,
    SignatureText,
    Tier,
)

__all__ = ["Catalog", "CatalogError", "Signature", "available_packs", "load_catalog"]

DEFAULT_LANGUAGE = "en"
# libyaml's safe loader when PyYAML was built with it (about 10x faster), else the pure-Python one
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_TEXT_KEYS = ("name", "cause", "fix")


class CatalogError(Exception):
    """A shipped pack or a user rules file cannot be read at all (bad YAML, wrong top level)."""


@dataclass(frozen=True, slots=True)
class Signature:
    """A signature or rule with its pack's defaults applied and its docs link resolved."""

    spec: SignatureSpec
    pack: str
    tier: Tier
    order: int
    min_level: Level | None
    docs_url: str | None

    @property
    def id(self) -> str:
        """The signature id (unique across the catalog)."""
        return self.spec.id


@dataclass(slots=True)
class Catalog:
    """The effective set: signatures in catalog order, pack metadata, texts per language."""

    signatures: list[Signature] = field(default_factory=list)
    packs: dict[str, PackMeta] = field(default_factory=dict)
    texts: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    _index: dict[str, Signature] = field(default_factory=dict, repr=False, compare=False)
    _indexed: list[Signature] | None = field(default=None, repr=False, compare=False)

    def get(self, signature_id: str) -> Signature | None:
        """Return the signature with this id, or None (O(1): called for every hit)."""
        if self._indexed is not self.signatures:  # `signatures` was (re)assigned: re-index
            self._index = {s.id: s for s in self.signatures}
            self._indexed = self.signatures
        return self._index.get(signature_id)

    def text(self, signature_id: str, language: str = DEFAULT_LANGUAGE) -> SignatureText:
        """Name, cause and fix in `language`, falling back to English, then to the id itself."""
        for lang in (language, DEFAULT_LANGUAGE):
            entry = self.texts.get(lang, {}).get(signature_id)
            if entry and entry.get("name"):
                return SignatureText(
                    name=entry["name"], cause=entry.get("cause", ""), fix=entry.get("fix", "")
                )
        return SignatureText(name=signature_id)

    def redact_patterns(self) -> list[str]:
        """Sensitive-value regexes declared by the loaded packs (for the `Redactor`)."""
        return [pattern for meta in self.packs.values() for pattern in meta.redact_patterns]

    def languages(self) -> list[str]:
        """Languages with at least one text, sorted."""
        return sorted(self.texts)


def _catalog_root() -> Traversable:
    return resources.files("loghealth") / "catalog"


def available_packs() -> list[str]:
    """Names of the shipped packs, sorted."""
    return sorted(
        p.name for p in _catalog_root().iterdir() if p.is_dir() and (p / "pack.yaml").is_file()
    )


def _read_yaml(item: Traversable | Path, what: str) -> Any:
    try:
        return yaml.load(item.read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise CatalogError(f"{what}: {error}") from None


def _load_pack(folder: Traversable) -> tuple[PackFile, dict[str, dict[str, dict[str, str]]]]:
    try:
        meta = PackMeta.model_validate(_read_yaml(folder / "pack.yaml", f"{folder.name}/pack.yaml"))
        signatures: list[SignatureSpec] = []
        sig_dir = folder / "signatures"
        files = (
            sorted((f for f in sig_dir.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)
            if sig_dir.is_dir()
            else []
        )
        for item in files:
            data = _read_yaml(item, f"{folder.name}/signatures/{item.name}")
            signatures.extend(SignaturesFile.model_validate(data).signatures)
    except ValidationError as error:
        raise CatalogError(f"pack {folder.name}: {error}") from None
    texts: dict[str, dict[str, dict[str, str]]] = {}
    loc_dir = folder / "locales"
    if loc_dir.is_dir():
        for item in sorted(loc_dir.iterdir(), key=lambda f: f.name):
            if item.name.endswith(".yaml"):
                data = _read_yaml(item, f"{folder.name}/locales/{item.name}") or {}
                texts[item.name.removesuffix(".yaml")] = dict(data.get("signature") or {})
    return PackFile(meta=meta, signatures=tuple(signatures)), texts


def _docs_url(spec: SignatureSpec, meta: PackMeta | None) -> str | None:
    if spec.docs_url:
        return spec.docs_url
    if spec.docs_anchor and meta is not None and meta.docs_base:
        return f"{meta.docs_base}#{spec.docs_anchor}"
    return None


def _load_rules_file(path: Path, errors: list[str]) -> list[SignatureSpec]:
    try:
        data = _read_yaml(path, str(path))
    except CatalogError as error:
        errors.append(str(error))
        return []
    entries = data.get("signatures") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        errors.append(f"{path}: expected a list of rules under 'signatures:'")
        return []
    specs = []
    for index, entry in enumerate(entries, start=1):
        try:
            specs.append(SignatureSpec.model_validate(entry))
        except ValidationError as error:
            label = entry.get("id", f"#{index}") if isinstance(entry, dict) else f"#{index}"
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()
            )
            errors.append(f"{path}: rule {label}: {problems}")
    return specs


def load_catalog(
    packs: Sequence[str] | None = None,
    rule_files: Iterable[Path] = (),
) -> Catalog:
    """Load shipped packs (all when `packs` is None) and user rule files, in that order.

    A user rule with the id of a signature replaces it; `enabled: false` removes it.

    Raises:
        CatalogError: a named pack does not exist, a shipped pack is invalid, or two shipped
            signatures share an id.
    """
    known = available_packs()
    wanted = known if packs is None else list(packs)
    unknown = [name for name in wanted if name not in known]
    if unknown:
        raise CatalogError(
            f"unknown pack(s) {', '.join(unknown)}; shipped packs: {', '.join(known)}"
        )
    catalog = Catalog()
    by_id: dict[str, Signature] = {}
    order = 0
    for name in wanted:
        pack, texts = _load_pack(_catalog_root() / name)
        catalog.packs[name] = pack.meta
        for lang, entries in texts.items():
            catalog.texts.setdefault(lang, {}).update(entries)
        tier = Tier.APP if pack.meta.tier == "app" else Tier.GENERIC
        for spec in pack.signatures:
            if spec.id in by_id:
                raise CatalogError(
                    f"signature id {spec.id!r} is defined twice ({by_id[spec.id].pack} and {name})"
                )
            by_id[spec.id] = Signature(
                spec,
                name,
                tier,
                order,
                spec.min_level or pack.meta.defaults.min_level,
                _docs_url(spec, pack.meta),
            )
            order += 1
    for path in rule_files:
        for spec in _load_rules_file(Path(path), catalog.errors):
            by_id.pop(spec.id, None)
            if spec.enabled:
                by_id[spec.id] = Signature(
                    spec, "rules", Tier.RULE, order, spec.min_level, _docs_url(spec, None)
                )
                order += 1
            if spec.text is not None:
                catalog.texts.setdefault(DEFAULT_LANGUAGE, {})[spec.id] = {
                    key: getattr(spec.text, key) for key in _TEXT_KEYS
                }
    catalog.signatures = sorted(by_id.values(), key=lambda s: s.order)
    return catalog
