"""A one-signature rules file for tests of the runtime: `BOOM <n>` is an error finding."""

BOOM_RULES = """
signatures:
  - id: boom
    patterns: ['BOOM \\d+']
    severity: error
    category: bug
    area: process
"""
