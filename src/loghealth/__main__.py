"""`python -m loghealth`: the same as the `loghealth` command."""

from loghealth.cli.main import main

main()
