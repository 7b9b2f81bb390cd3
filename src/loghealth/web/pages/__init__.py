"""Dashboard pages: one module per page (or page group), each with a `router` and a `NAV` item.

Add a page by writing a module with `router` (an `APIRouter(include_in_schema=False)`) and
`NAV` (a `NavItem`, or None for pages outside the header) and listing it in `PAGE_MODULES`.
"""

from __future__ import annotations

from types import ModuleType

from loghealth.web.pages import (
    clients,
    finding,
    findings,
    live,
    login,
    overview,
    rule_editor,
    rule_test,
    rules,
    sources,
)

__all__ = ["PAGE_MODULES"]

PAGE_MODULES: tuple[ModuleType, ...] = (
    overview, findings, finding, live, login,
    sources, clients, rules, rule_test, rule_editor,
)  # fmt: skip
"""Every page module, in routing order."""
