"""How fast the fake Octy of ``benchmarks/resync.py`` takes batch creates, and its CPU.

A resync benchmark measures the fake as much as the resync when the fake is the
slower of the two: this sends ``--requests`` profile creates of 500 profiles
each (then event creates of 500 events) straight through the client, one at a
time and then 10 at a time, and prints requests and objects per second with
the CPU seconds the fake's process spent per request (from ``/proc``).

    .venv/bin/python benchmarks/fake_capacity.py --requests 40
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.resync import BATCH_SIZE, FakeOctyProcess, fake_octy  # noqa: E402
from django_octy.client.client import OctyClient  # noqa: E402
from django_octy.client.results import BatchResult  # noqa: E402


def cpu_seconds(pid: int) -> float:
    """User and system CPU a process has spent, from ``/proc/<pid>/stat``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(
    label: str,
    octy: FakeOctyProcess,
    send: Callable[[int], object],
    requests: int,
    prepare: Callable[[], object] = lambda: None,
) -> None:
    """Send ``requests`` batches one at a time, then 10 at a time, each into an empty fake
    (``prepare`` fills it first)."""
    for threads in (1, 10):
        octy.reset()
        prepare()
        cpu = cpu_seconds(octy.process.pid)
        started = time.monotonic()
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(send, range(requests)))
        seconds = time.monotonic() - started
        fake_cpu = cpu_seconds(octy.process.pid) - cpu
        print(
            f"{label:<8} {threads:>2} at a time  {requests / seconds:>6.1f} requests/s  "
            f"{requests * BATCH_SIZE / seconds:>8,.0f} objects/s  "
            f"fake CPU {1000 * fake_cpu / requests:.0f} ms a request",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    with fake_octy() as octy:
        settings = octy.settings
        client = OctyClient(
            settings["OCTY_PUBLIC_KEY"],
            settings["OCTY_SECRET_KEY"],
            settings["OCTY_BASE_URL"],
            allow_insecure=True,
        )

        def profiles(batch: int) -> BatchResult:
            return client.create_profiles(
                {
                    "customer_id": f"{batch}-{n}",
                    "has_charged": False,
                    "profile_data": {"first_name": f"C{n}", "city": "Oslo", "tags": []},
                    "platform_info": {"platform": "django"},
                }
                for n in range(BATCH_SIZE)
            )

        measure("profiles", octy, profiles, args.requests)
        ids: list[str] = []

        def customers() -> None:
            ids[:] = [str(entry["profile_id"]) for entry in profiles(0).succeeded]

        def events(batch: int) -> BatchResult:
            return client.create_events(
                {
                    "event_type": "charged",
                    "profile_id": ids[n % len(ids)],
                    "event_properties": {"item_id": f"sku-{n}", "payment_method": "card"},
                }
                for n in range(BATCH_SIZE)
            )

        measure("events", octy, events, args.requests, customers)


if __name__ == "__main__":
    main()
