"""Sources stage: where lines come from (files, directories, `.gz`, stdin)."""

from loghealth.sources.files import (
    DEFAULT_INCLUDE,
    FileInput,
    InputError,
    discover_inputs,
    read_lines,
)

__all__ = ["DEFAULT_INCLUDE", "FileInput", "InputError", "discover_inputs", "read_lines"]
