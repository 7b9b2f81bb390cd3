"""`python -m loghealth`: the same as the `loghealth` command."""

from loghealth.cli.entry import main

main()
