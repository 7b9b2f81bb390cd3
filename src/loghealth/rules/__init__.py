"""Rules stage: load the shipped catalog and user rules, validate them, compile them to matchers."""
