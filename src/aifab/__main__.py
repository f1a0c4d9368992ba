"""``python -m aifab`` runs the CLI."""

import sys

from aifab.cli import main

sys.exit(main())
