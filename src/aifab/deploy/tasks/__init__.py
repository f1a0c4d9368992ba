"""Nornir task functions: the only code that touches devices (through NAPALM connections)."""
