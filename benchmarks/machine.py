"""What a benchmark prints about the machine it ran on."""

from __future__ import annotations

import os


def machine_load() -> str:
    """The CPU count and the load when the run starts: other work on the machine skews figures."""
    return f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start"
