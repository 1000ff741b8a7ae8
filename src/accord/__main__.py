"""``python -m accord``: the command line."""

from accord.cli.main import cli

cli()
