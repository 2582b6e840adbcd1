"""Run the fake Octy server on its own: ``python -m django_octy.testing --port 8765``.

It serves until SIGINT or SIGTERM, then exits with status 0. Steer it from
another process through the ``/_fake/`` control API.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m django_octy.testing", description="Serve a fake Octy API on 127.0.0.1."
    )
    parser.add_argument("--port", type=int, default=8765, help="0 lets the OS pick (default 8765)")
    parser.add_argument("--public-key", help="default: a random pk_test_... key")
    parser.add_argument("--secret-key", help="default: a random sk_test_... key")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per request")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        from . import FakeOcty
    except ModuleNotFoundError as missing:  # the testing extra is not installed
        print(missing, file=sys.stderr)
        return 1
    octy = FakeOcty(args.public_key, args.secret_key, args.port, args.latency)
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        octy.start()
    except OSError as error:
        print(f"Cannot listen on 127.0.0.1:{args.port}: {error.strerror}", file=sys.stderr)
        return 1
    # A key given on the command line is already known to the caller: it is not echoed.
    secret = "(as given)" if args.secret_key else octy.secret_key
    print(f"Fake Octy serving at {octy.url}", flush=True)
    print(f"OCTY_BASE_URL={octy.url}", flush=True)
    print(f"OCTY_PUBLIC_KEY={octy.public_key}", flush=True)
    print(f"OCTY_SECRET_KEY={secret}", flush=True)
    while not stopping.wait(0.2):
        pass
    octy.stop()
    print("Fake Octy stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
