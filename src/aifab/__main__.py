"""``python -m aifab`` runs the CLI."""

from aifab.cli import run

run()
