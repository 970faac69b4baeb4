"""`python -m disentangle` runs the CLI."""

from disentangle.cli import main

main()
