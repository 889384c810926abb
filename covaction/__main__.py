"""`python -m covaction`: the covaction command."""

from covaction.cli import cli

cli()
