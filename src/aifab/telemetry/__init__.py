"""Telemetry and health (issue 14): what each platform streams, what it cannot, and ``aifab health``."""
