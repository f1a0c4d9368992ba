"""CLI subcommands, one module each, registered by ``aifab.cli``."""
