"""``aifab health``: every device's PFC pause frames, ECN marks, watchdog storms, drops and BGP
sessions, read through NAPALM getters and the platform's CLI, judged against the intent's thresholds."""
