"""Numbers too large for a float (JSON `1e999`, 400 digits) give no time or level, never a hang."""

from __future__ import annotations

from loghealth.parsing import ParseContext, create_parser
from loghealth.parsing.timestamps import from_epoch


def test_infinite_epoch_is_no_time() -> None:
    assert from_epoch(float("inf")) is None
    assert from_epoch(float("-inf")) is None
    assert from_epoch(1_714_557_600_000) is not None


def test_json_line_with_a_huge_time_parses_without_one() -> None:
    parser = create_parser("json_lines")
    for time in (f'"{"9" * 400}"', "1e999"):
        parsed = parser.parse(f'{{"time": {time}, "msg": "x"}}', ParseContext.default())
        assert parsed is not None
        assert parsed.timestamp is None
        assert parsed.message == "x"


def test_json_line_with_a_level_too_large_for_a_number_parses_without_one() -> None:
    parser = create_parser("json_lines")
    for level in ("1e999", "-1e999", "NaN"):
        parsed = parser.parse(f'{{"level": {level}, "msg": "x"}}', ParseContext.default())
        assert parsed is not None
        assert parsed.level is None
