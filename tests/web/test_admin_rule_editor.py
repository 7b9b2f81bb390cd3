"""Dashboard rule editor and live tester over ASGI: inline problems, create/update/delete, gates."""

from __future__ import annotations

import re
from html import escape, unescape
from pathlib import Path

from loghealth.api.routes.rules import base_catalog
from loghealth.web.rule_form import check_examples
from tests.web.conftest import SMARTY_ID, Dashboard
from tests.web.test_admin_pages import FLUX_LINE, run


# ---- rules: editor -----------------------------------------------------------------------------
def rule_form(token: str, **values: str) -> dict[str, str]:
    form = {"csrf_token": token, "mode": "create", "id": "disk-full", "scope": "global",
            "enabled": "1", "patterns": r"disk (?P<dev>\w+) full", "severity": "error",
            "category": "environment", "area": "disk", "name": "Disk is full"}  # fmt: skip
    form.update(values)
    return form


def _errors(html: str, field_name: str) -> str:
    found = re.search(
        rf'<div class="field-errors" id="err-{field_name}"[^>]*>(.*?)</div>', html, re.S
    )
    assert found is not None, f"no error slot for {field_name}"
    return found.group(1)


def test_rule_editor_shows_problems_next_to_their_fields(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        await d.login("admin")
        token = await d.csrf("/rules/edit")
        broken = await d.http.post("/rules/save", data=rule_form(
            token, patterns="disk full\ndisk (unclosed", id="Bad Id", min_count="lots"
        ))  # fmt: skip
        assert broken.status_code == 422  # the request model first, as the API does
        assert "String should match pattern" in _errors(broken.text, "id")
        assert "valid integer" in _errors(broken.text, "min_count")
        assert _errors(broken.text, "severity").strip() == ""
        assert 'value="Bad Id"' in broken.text and "disk (unclosed</textarea>" in broken.text
        compile_error = await d.http.post("/rules/save", data=rule_form(
            token, patterns="disk full\ndisk (unclosed"
        ))  # fmt: skip
        assert compile_error.status_code == 422  # then the patterns are compiled
        patterns = _errors(compile_error.text, "patterns")
        assert "line 2:" in patterns and "line 1" not in patterns
        assert _errors(compile_error.text, "id").strip() == ""
        assert "aria-invalid" in compile_error.text
        window = await d.http.post("/rules/save", data=rule_form(token, window_secs="-5"))
        assert "greater than 0" in _errors(window.text, "window_secs")
        no_name = await d.http.post("/rules/save", data=rule_form(token, name="", cause="x"))
        assert _errors(no_name.text, "name").strip() != ""
        assert (await d.http.get("/api/v1/rules/disk-full", headers=d.api())).status_code == 404

    run(tmp_path, scenario)


def test_rule_editor_creates_updates_and_deletes(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        await d.login("admin")
        token = await d.csrf("/rules/edit")
        values = {"formats": "python_logging, generic", "window_secs": "60", "min_count": "3",
                  "min_level": "WARNING"}  # fmt: skip
        saved = await d.http.post("/rules/save", data=rule_form(token, **values))
        assert saved.status_code == 303
        assert saved.headers["location"] == "/rules/edit?id=disk-full&saved=1"
        api = (await d.http.get("/api/v1/rules/disk-full", headers=d.api())).json()
        assert api["spec"]["threshold"] == {"min_count": 3, "window_secs": 60}
        assert api["spec"]["applies_to"] == {"formats": ["python_logging", "generic"]}
        assert (
            api["spec"]["min_level"] == "WARNING" and api["spec"]["text"]["name"] == "Disk is full"
        )
        page = await d.http.get(saved.headers["location"])
        assert 'data-testid="rule-saved"' in page.text and 'name="mode" value="update"' in page.text
        assert 'value="python_logging, generic"' in page.text and "readonly" in page.text
        duplicate = await d.http.post("/rules/save", data=rule_form(token))
        assert duplicate.status_code == 422
        assert "already stored" in _errors(duplicate.text, "id")
        updated = await d.http.post(
            "/rules/save", data=rule_form(token, mode="update", severity="critical")
        )
        assert updated.status_code == 303
        api = (await d.http.get("/api/v1/rules/disk-full", headers=d.api())).json()
        assert api["spec"]["severity"] == "critical" and api["enabled"] is True
        off = rule_form(token, mode="update")
        del off["enabled"]  # an unticked checkbox is not sent
        await d.http.post("/rules/save", data=off)
        stored = await d.http.get("/api/v1/rules/disk-full", headers=d.api())
        assert stored.json()["enabled"] is False
        deleted = await d.http.post("/rules/disk-full/delete", data={"csrf_token": token})
        assert deleted.headers["location"] == "/rules?done=deleted&rule=disk-full"
        assert (await d.http.get("/api/v1/rules/disk-full", headers=d.api())).status_code == 404
        gone = await d.http.post("/rules/disk-full/delete", data={"csrf_token": token})
        assert gone.status_code == 404

    run(tmp_path, scenario)


def test_editing_a_shipped_entry_stores_a_replacement(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        await d.login("admin")
        page = await d.http.get("/rules/edit?id=wobble")
        assert page.status_code == 200 and 'name="mode" value="create"' in page.text
        assert "WOBBLE</textarea>" in page.text and "replaces a rule file&#39;s rule" in page.text
        token = await d.csrf("/rules/edit?id=wobble")
        saved = await d.http.post("/rules/save", data=rule_form(
            token, id="wobble", patterns="WOBBLE+", category="environment", area="network"
        ))  # fmt: skip
        assert saved.status_code == 303
        api = (await d.http.get("/api/v1/rules/wobble", headers=d.api())).json()
        assert api["overrides"] == "rules" and api["spec"]["patterns"] == ["WOBBLE+"]
        assert (await d.http.get("/rules/edit?id=no-such-thing")).status_code == 404
        assert (await d.http.get("/rules/edit?id=..%2Fetc")).status_code == 404

        d.http.cookies.clear()
        await d.login("viewer")
        viewer = await d.http.get("/rules/edit?id=wobble")
        assert viewer.status_code == 200 and "<fieldset disabled>" in viewer.text
        assert 'data-testid="save-rule"' not in viewer.text and 'name="draft"' not in viewer.text
        token = await d.csrf("/rules/edit?id=wobble")
        denied = await d.http.post("/rules/save", data=rule_form(token, id="viewer-rule"))
        assert denied.status_code == 403
        denied = await d.http.post("/rules/wobble/delete", data={"csrf_token": token})
        assert denied.status_code == 403
        assert (await d.http.get("/api/v1/rules/viewer-rule", headers=d.api())).status_code == 404

    run(tmp_path, scenario)


# ---- rules: tester -----------------------------------------------------------------------------
def test_tester_shows_the_match_captures_and_the_gate_that_stops(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        rule = {"id": "disk-full", "patterns": [r"disk (?P<dev>\w+) full"], "severity": "error",
                "category": "environment", "area": "disk", "min_level": "ERROR"}  # fmt: skip
        assert (await d.http.post("/api/v1/rules", json=rule, headers=d.api())).status_code == 201
        await d.login("viewer")
        token = await d.csrf("/rules")
        lines = "\n".join([
            FLUX_LINE, "2026-03-14 08:02:12,000 INFO disk: disk sda full", "just chatter", "",
        ])  # fmt: skip
        tested = await d.http.post("/rules/test", data={"csrf_token": token, "lines": lines})
        assert tested.status_code == 200
        assert tested.headers["content-security-policy"].startswith("default-src 'self'")
        html = tested.text
        assert "3 record(s), 1 matched (format python_logging)" in html
        flux, disk, chatter = re.findall(
            r'<li class="test-record.*?</li>\s*(?=<li class="test-record|</ol>)', html, re.S
        )
        assert (
            "Flux capacitor failed" in flux
            and '<dt class="mono">part</dt><dd class="mono">coil</dd>' in flux
        )
        assert 'data-gate="level gate"' in disk and "Level gate" in disk
        assert "level INFO below ERROR" in disk and "No rule or signature matches." in disk
        assert "data-gate" not in chatter
        bad_format = await d.http.post(
            "/rules/test", data={"csrf_token": token, "lines": "x", "format": "nonsense"}
        )
        assert "Unknown format" not in bad_format.text  # unknown choices mean "detect"
        too_many = await d.http.post("/rules/test", data={"csrf_token": token,
                                                          "lines": "x\n" * 1001})  # fmt: skip
        assert "At most 1000 lines" in too_many.text
        empty = await d.http.post("/rules/test", data={"csrf_token": token, "lines": "\n \n"})
        assert "Paste one or more log lines" in empty.text
        assert (await d.http.post("/rules/test", data={"lines": "x"})).status_code == 403

    run(tmp_path, scenario)


def test_tester_tries_the_editors_draft_and_sends_its_problems_out_of_band(
    tmp_path: Path,
) -> None:
    async def scenario(d: Dashboard) -> None:
        await d.login("admin")
        token = await d.csrf("/rules/edit")
        line = "2026-03-14 08:02:12,000 ERROR disk: disk sdb full"
        draft = rule_form(token, draft="1", lines=line, id="")
        good = await d.http.post("/rules/test", data=draft)
        assert 'data-testid="draft-state">The rule is valid' in good.text
        assert "Disk is full" in good.text and "draft-rule" in good.text
        assert '<dt class="mono">dev</dt><dd class="mono">sdb</dd>' in good.text
        assert 'id="err-patterns" hx-swap-oob="true">' in good.text
        assert 'id="err-examples_match" hx-swap-oob="true">' in good.text
        assert _errors(good.text, "patterns").strip() == ""
        broken = await d.http.post("/rules/test", data=draft | {"patterns": "disk (sdb"})
        assert "draft-state small is-bad" in broken.text
        assert "line 1:" in _errors(broken.text, "patterns")
        assert "No rule or signature matches." in broken.text  # tested without the draft
        # the draft is never stored
        assert (await d.http.get("/api/v1/rules", headers=d.api())).json() == []

    run(tmp_path, scenario)


# ---- rules: examples and docs anchor -----------------------------------------------------------
DISK_LINE = "2026-03-14 08:02:12,000 ERROR disk: disk sdb full"
CALM_LINE = "2026-03-14 08:02:13,000 ERROR disk: disk sdb almost full"


def _textarea(html: str, name: str) -> str:
    found = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    assert found is not None, f"no textarea {name}"
    return unescape(found.group(1))


def test_rule_editor_saves_examples_and_docs_anchor_checked_against_the_rule(
    tmp_path: Path,
) -> None:
    async def scenario(d: Dashboard) -> None:
        await d.login("admin")
        token = await d.csrf("/rules/edit")
        page = await d.http.get("/rules/edit")
        assert "Lines it must match" in page.text and "Documentation anchor" in page.text
        examples = {"examples_match": f"\r\n{DISK_LINE}\r\n\r\n", "examples_no_match": CALM_LINE,
                    "docs_anchor": "disk-full"}  # fmt: skip
        saved = await d.http.post("/rules/save", data=rule_form(token, **examples))
        assert saved.status_code == 303
        api = (await d.http.get("/api/v1/rules/disk-full", headers=d.api())).json()
        assert api["spec"]["examples"] == {"match": [DISK_LINE], "no_match": [CALM_LINE]}
        assert api["spec"]["docs_anchor"] == "disk-full"
        edit = await d.http.get("/rules/edit?id=disk-full")
        assert _textarea(edit.text, "examples_match") == DISK_LINE
        assert _textarea(edit.text, "examples_no_match") == CALM_LINE
        assert 'name="docs_anchor" value="disk-full"' in edit.text

        # a match line this rule misses: shown at its field, the typed text kept, nothing saved
        missed = "2026-03-14 08:02:14,000 ERROR disk: disk <sdc> is fine"
        failing = rule_form(token, id="disk-two", examples_match=f"{DISK_LINE}\n\n{missed}",
                            examples_no_match=CALM_LINE, docs_anchor="two")  # fmt: skip
        refused = await d.http.post("/rules/save", data=failing)
        assert refused.status_code == 422
        problems = _errors(refused.text, "examples_match")
        assert "line 2: this rule does not match" in problems
        assert escape(missed) in problems and "<sdc>" not in problems
        # line 1 is the stored disk-full's: the first rule that matches a record takes it
        assert f"line 1: “{DISK_LINE}” is matched by disk-full, which comes" in problems
        assert _errors(refused.text, "examples_no_match").strip() == ""
        assert 'aria-invalid="true"' in refused.text
        assert _textarea(refused.text, "examples_match") == f"{DISK_LINE}\n\n{missed}"
        assert 'name="docs_anchor" value="two"' in refused.text
        assert (await d.http.get("/api/v1/rules/disk-two", headers=d.api())).status_code == 404

        deleted = await d.http.post("/rules/disk-full/delete", data={"csrf_token": token})
        assert deleted.status_code == 303

        # a no_match line the rule matches
        matched = rule_form(token, id="disk-two", examples_match=DISK_LINE,
                            examples_no_match=f"{CALM_LINE}\n{DISK_LINE}")  # fmt: skip
        refused = await d.http.post("/rules/save", data=matched)
        assert refused.status_code == 422
        problems = _errors(refused.text, "examples_no_match")
        assert "line 2: this rule matches" in problems and DISK_LINE in problems
        assert _errors(refused.text, "examples_match").strip() == ""

        # the tester's gates count: an INFO line is below the rule's minimum level
        info = DISK_LINE.replace("ERROR", "INFO")
        gated = rule_form(token, id="disk-two", min_level="ERROR", examples_match=info,
                          examples_no_match=CALM_LINE)  # fmt: skip
        refused = await d.http.post("/rules/save", data=gated)
        assert "line 1: this rule does not match" in _errors(refused.text, "examples_match")

        # validated as the API does: both lists or neither, an anchor of at most 256 characters
        one_side = await d.http.post("/rules/save", data=rule_form(
            token, id="disk-two", examples_match=DISK_LINE, docs_anchor="a" * 257
        ))  # fmt: skip
        assert one_side.status_code == 422
        assert "at least 1 item" in _errors(one_side.text, "examples_no_match")
        assert "at most 256 characters" in _errors(one_side.text, "docs_anchor")
        assert (await d.http.get("/api/v1/rules/disk-two", headers=d.api())).status_code == 404

        # a disabled rule's examples are still checked against its patterns
        off = rule_form(token, id="disk-two", examples_match=DISK_LINE, examples_no_match=CALM_LINE)
        del off["enabled"]
        assert (await d.http.post("/rules/save", data=off)).status_code == 303

    run(tmp_path, scenario)


def test_editing_a_rule_with_examples_round_trips_them(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        rule = {"id": "disk-full", "patterns": [r"disk (?P<dev>\w+) full"], "severity": "error",
                "category": "environment", "area": "disk", "docs_anchor": "disk",
                "examples": {"match": [DISK_LINE, "disk  sda  full? no: disk sda full"],
                             "no_match": [CALM_LINE]}}  # fmt: skip
        assert (await d.http.post("/api/v1/rules", json=rule, headers=d.api())).status_code == 201
        await d.login("admin")
        token = await d.csrf("/rules/edit?id=disk-full")
        page = (await d.http.get("/rules/edit?id=disk-full")).text
        form = rule_form(
            token, mode="update", severity="critical", name="",
            examples_match=_textarea(page, "examples_match"),
            examples_no_match=_textarea(page, "examples_no_match"), docs_anchor="disk",
        )  # fmt: skip
        assert (await d.http.post("/rules/save", data=form)).status_code == 303
        api = (await d.http.get("/api/v1/rules/disk-full", headers=d.api())).json()
        assert api["spec"]["examples"] == rule["examples"] and api["spec"]["docs_anchor"] == "disk"
        assert api["spec"]["severity"] == "critical"
        # a pattern change that breaks an example is refused; the stored rule stays as it was
        broken = form | {"patterns": r"^disk (?P<dev>\w+) full"}
        refused = await d.http.post("/rules/save", data=broken)
        assert refused.status_code == 422
        assert "line 2: this rule does not match" in _errors(refused.text, "examples_match")
        after = (await d.http.get("/api/v1/rules/disk-full", headers=d.api())).json()
        assert after["spec"] == api["spec"]
        # emptied boxes remove the examples and the anchor
        cleared = form | {"examples_match": "", "examples_no_match": "\n", "docs_anchor": ""}
        assert (await d.http.post("/rules/save", data=cleared)).status_code == 303
        spec = (await d.http.get("/api/v1/rules/disk-full", headers=d.api())).json()["spec"]
        assert "examples" not in spec and "docs_anchor" not in spec

    run(tmp_path, scenario)


def test_shipped_examples_pass_the_editors_check(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        shipped = [s for s in base_catalog(d.context).signatures if s.spec.examples is not None]
        assert shipped, "the smarty pack ships examples"
        for signature in shipped:
            assert check_examples(d.context, signature.spec, "global") == [], signature.id
        await d.login("admin")
        page = (await d.http.get(f"/rules/edit?id={SMARTY_ID}")).text
        spec = next(s.spec for s in shipped if s.id == SMARTY_ID)
        assert spec.examples is not None
        assert _textarea(page, "examples_match") == "\n".join(spec.examples.match)

    run(tmp_path, scenario)


def test_examples_need_an_admin_and_a_csrf_token(tmp_path: Path) -> None:
    async def scenario(d: Dashboard) -> None:
        examples = {"examples_match": DISK_LINE, "examples_no_match": CALM_LINE,
                    "docs_anchor": "disk"}  # fmt: skip
        await d.login("admin")
        token = await d.csrf("/rules/edit")
        no_token = rule_form(token, **examples)
        del no_token["csrf_token"]
        assert (await d.http.post("/rules/save", data=no_token)).status_code == 403
        forged = rule_form("forged", **examples)
        assert (await d.http.post("/rules/save", data=forged)).status_code == 403
        d.http.cookies.clear()
        await d.login("viewer")
        token = await d.csrf("/rules/edit")
        viewer = await d.http.post("/rules/save", data=rule_form(token, **examples))
        assert viewer.status_code == 403
        assert (await d.http.get("/api/v1/rules/disk-full", headers=d.api())).status_code == 404

    run(tmp_path, scenario)
