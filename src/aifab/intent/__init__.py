"""Intent: the schema a network team writes and its loader."""

from aifab.intent.loader import LoadedIntent, load_intent
from aifab.intent.schema import Intent

__all__ = ["Intent", "LoadedIntent", "load_intent"]
