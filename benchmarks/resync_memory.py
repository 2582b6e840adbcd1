"""Peak memory of ``octy_resync`` does not grow with the number of rows.

For each row count, a fresh SQLite database is migrated and filled with pending
profiles (in a separate process), then ``manage.py octy_resync profile`` runs in
its own process against a fake Octy served by this one; its peak RSS comes from
``wait4``. Prints one line per size, then the ratio of the peaks.

    .venv/bin/python benchmarks/resync_memory.py            # 20,000 and 100,000 rows
    .venv/bin/python benchmarks/resync_memory.py 1000 5000  # other sizes
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from django_octy.testing import FakeOcty  # noqa: E402

SEED = """
import django
django.setup()
from django_octy.models import Profile
from django_octy.sync.recording import batches
for chunk in batches(range({count}), 5000):
    Profile.objects.bulk_create(Profile(customer_id=f"c{{n:07d}}") for n in chunk)
"""


def run(args: list[str], env: dict[str, str]) -> tuple[int, int, str]:
    """Run a process; returns its exit code, its peak RSS in KiB and its stderr's tail."""
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        stderr.seek(0)
        tail = stderr.read().decode(errors="replace").replace("\r", "\n").strip().splitlines()
    return process.returncode, usage.ru_maxrss, tail[-1] if tail else ""


def measure(count: int, octy: FakeOcty, directory: str) -> int:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.resync_settings",
        "DATABASE_URL": f"sqlite:///{directory}/resync-{count}.sqlite3",
        "OCTY_PUBLIC_KEY": octy.public_key,
        "OCTY_SECRET_KEY": octy.secret_key,
        "OCTY_BASE_URL": octy.url,
        "PYTHONPATH": str(ROOT),
    }
    python = sys.executable
    for step in (
        [python, "-m", "django", "migrate", "--run-syncdb", "-v0"],
        [python, "-c", SEED.format(count=count)],
    ):
        code, _, tail = run(step, env)
        if code:
            raise SystemExit(f"{step[:3]} failed: {tail}")
    octy.reset()
    started = time.monotonic()
    code, peak, progress = run([python, "-m", "django", "octy_resync", "profile"], env)
    seconds = time.monotonic() - started
    creates = [e for e in octy.request_log if e.path == "/v1/retention/profiles/create"]
    print(
        f"{count:>9,} rows: exit {code}, {len(creates)} create requests, "
        f"{len(octy.profiles):,} profiles in Octy, peak RSS {peak / 1024:.1f} MiB, {seconds:.1f} s"
        f"\n           last progress line: {progress}",
        flush=True,
    )
    return peak


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or [20_000, 100_000]
    with FakeOcty() as octy, tempfile.TemporaryDirectory() as directory:
        peaks = [measure(count, octy, directory) for count in sizes]
    print(f"peak RSS ratio, {sizes[-1]:,} vs {sizes[0]:,} rows: {peaks[-1] / peaks[0]:.3f}")


if __name__ == "__main__":
    main()
