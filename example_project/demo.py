"""The one-command demo: ``make demo`` (or ``python example_project/demo.py``).

Starts a fake Octy (unless ``OCTY_BASE_URL`` points at a real one) and a fake
Octopus CRM (unless ``OCTOPUS_BASE_URL`` is set), a Celery worker and beat,
migrates, creates a superuser, seeds the shop, waits for the pipeline to push
everything to both targets, reads back what Octy computed (churn, RFM, segments),
prints a summary of each, then serves the shop and the admin until Ctrl-C. With
``DEMO_NO_SERVE=1`` it stops after the summary and exits 0 only if every seeded
object reached Octy and every customer the CRM, apart from the few events the shop
records with an undeclared type, which Octy must refuse (exactly those, no others).

Environment: ``DEMO_NO_SERVE``, ``DEMO_PORT`` (8000), ``DEMO_TIMEOUT`` (seconds
to wait for the push, 240), ``DEMO_VAR_DIR`` (its database, broker files and
logs, emptied at start; ``example_project/var/demo``), ``DEMO_CUSTOMERS``, ``DEMO_PRODUCTS``,
``DEMO_ORDERS``, ``DEMO_PAGE_VIEWS``, ``DEMO_LOGINS`` (sizes), and the shop's
own settings (``DATABASE_URL``, ``CELERY_BROKER_URL``, ``OCTY_*``, ``OCTOPUS_*``).
"""

from __future__ import annotations

import io
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import fields
from pathlib import Path
from types import FrameType
from typing import IO, Any

PROJECT_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("DEMO_VAR_DIR") or PROJECT_DIR / "var" / "demo")
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "octy-demo"


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


class Processes:
    """The background processes of the demo, stopped in reverse order on exit."""

    def __init__(self) -> None:
        self.running: list[tuple[str, subprocess.Popen[str]]] = []

    def start(
        self, name: str, args: list[str], log: IO[str] | None = None
    ) -> subprocess.Popen[str]:
        process = subprocess.Popen(
            [sys.executable, *args],
            cwd=PROJECT_DIR,
            stdout=log or subprocess.PIPE,
            stderr=subprocess.STDOUT if log else None,
            text=True,
            start_new_session=True,  # Ctrl-C reaches the demo only; it stops them in order
        )
        self.running.append((name, process))
        return process

    def check(self) -> None:
        for name, process in self.running:
            if process.poll() is not None:
                raise SystemExit(f"The {name} stopped unexpectedly (exit {process.returncode}).")

    def stop(self) -> None:
        for name, process in reversed(self.running):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            say(f"Stopped the {name}")
        self.running.clear()


def start_fake_octy(processes: Processes) -> str:
    """Run ``python -m django_octy.testing`` on a free port; point the shop at it."""
    public_key = f"pk_demo_{secrets.token_hex(8)}"
    secret_key = f"sk_demo_{secrets.token_hex(16)}"
    fake = processes.start(
        "fake Octy",
        [
            *("-m", "django_octy.testing", "--port", "0"),
            *("--public-key", public_key, "--secret-key", secret_key),
        ],
    )
    assert fake.stdout is not None
    base_url = ""
    while not base_url:
        line = fake.stdout.readline()
        if not line:
            raise SystemExit("The fake Octy server did not start.")
        if line.startswith("OCTY_BASE_URL="):
            base_url = line.strip().split("=", 1)[1]
    os.environ.update(
        OCTY_BASE_URL=base_url,
        OCTY_PUBLIC_KEY=public_key,
        OCTY_SECRET_KEY=secret_key,
        OCTY_ALLOW_INSECURE_BASE_URL="1",
    )
    return base_url


def start_fake_octopus(stack: ExitStack) -> Any:
    """Serve a fake Octopus CRM from this process; point the shop (and its worker) at it."""
    from django_octy.testing import FakeOctopus

    crm = stack.enter_context(FakeOctopus(database="shop", uid="shop-sync"))
    os.environ.update(
        OCTOPUS_BASE_URL=crm.url,
        OCTOPUS_DATABASE=crm.database,
        OCTOPUS_UID=crm.uid,
        OCTOPUS_PASSWORD=crm.password,
        OCTOPUS_ALLOW_INSECURE="1",
    )
    return crm


def fake_state(base_url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{base_url}/_fake/state", timeout=10) as response:
        state: dict[str, Any] = json.load(response)
        return state


def fake_customer_ids(base_url: str) -> set[str]:
    with urllib.request.urlopen(f"{base_url}/_fake/profiles", timeout=60) as response:
        return {profile["customer_id"] for profile in json.load(response)["profiles"]}


def prepare_django() -> None:
    """Configure Django for the shop, on a fresh demo directory."""
    shutil.rmtree(VAR_DIR, ignore_errors=True)
    VAR_DIR.mkdir(parents=True)
    os.environ["SHOP_VAR_DIR"] = str(VAR_DIR)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(PROJECT_DIR))
    import django

    django.setup()


def migrate_and_create_admin() -> None:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if os.environ.get("DATABASE_URL"):
        say("Emptying the database named by DATABASE_URL")
        call_command("flush", interactive=False, verbosity=0)
    get_user_model().objects.create_superuser(ADMIN_USERNAME, "admin@example.com", ADMIN_PASSWORD)
    say(f"Superuser: {ADMIN_USERNAME} / {ADMIN_PASSWORD}")


def apply_definitions() -> None:
    """Create the event types, segments and templates of ``OCTY["DEFINITIONS"]`` in Octy."""
    from django.core.management import call_command

    say("Applying the shop's definitions (example_project/definitions/*.yaml)")
    call_command("octy_apply")


def seed() -> Any:
    from django.core.management import call_command
    from shop.seeding import Sizes

    sizes = {
        field.name: env_int(f"DEMO_{field.name.upper()}", field.default) for field in fields(Sizes)
    }
    say("Seeding the shop: " + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in sizes.items()))
    output = io.StringIO()
    call_command("seed_shop", json=True, stdout=output, **sizes)
    return json.loads(output.getvalue())


def wait_for_push(processes: Processes, timeout: float) -> bool:
    """Show the push's progress until nothing is left to push; False on timeout.

    Saves waiting to be mapped count as left too: the worker maps them into mirror
    rows (one save may become several rows, or none), so the bar's total grows with them.
    """
    from tqdm import tqdm

    from django_octy.models import OUTSTANDING_STATES
    from django_octy.sync.pending import MIRROR_MODELS, left_to_push

    deadline = time.monotonic() + timeout
    with tqdm(desc="pushed to Octy    ", unit=" obj") as bar:
        while True:
            processes.check()
            left = sum(left_to_push().values())
            done = sum(
                model._default_manager.exclude(state__in=OUTSTANDING_STATES).count()
                for model in MIRROR_MODELS
            )
            bar.total = max(bar.total or 0, done + left)
            bar.update(max(done - bar.n, 0))
            if not left:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.5)


def remote_counts(base_url: str | None, crm: Any) -> dict[str, Any]:
    """How many objects of each entity the fake targets hold (only those the demo started)."""
    counts: dict[str, Any] = {}
    if base_url:
        fake = fake_state(base_url)["counts"]
        for entity in ("event_type", "profile", "item", "event", "segment", "template"):
            counts[entity] = fake[f"{entity}s"]
    if crm is not None:
        counts["octopus_entry"] = len(crm.entries)
    return counts


def summary(base_url: str | None, crm: Any, seeded: dict[str, Any], elapsed: float) -> None:
    from django.db.models import Count, Sum

    from django_octy.models import MODEL_NAMES, PushLog, SyncError
    from django_octy.sync.pending import MIRROR_MODELS

    remote_count = remote_counts(base_url, crm)
    print()
    print(f"{'entity':<16}{'rows':>8}{'synced':>8}{'failed':>8}{'pending':>9}{'in target':>11}")
    for model, entity in zip(MIRROR_MODELS, MODEL_NAMES, strict=True):
        states = dict(
            model._default_manager.values_list("state").annotate(n=Count("pk")).order_by()
        )
        rows = sum(states.values())
        pending = states.get("pending", 0) + states.get("delete_pending", 0)
        remote = remote_count.get(entity, "-")
        print(
            f"{entity:<16}{rows:>8}{states.get('synced', 0):>8}{states.get('failed', 0):>8}"
            f"{pending:>9}{remote!s:>11}"
        )
    pushes = PushLog.objects.aggregate(requests=Count("pk"), failed=Sum("failed"))
    print()
    print(f"Seeded: {json.dumps(seeded)}")
    print(
        f"Batch requests: {pushes['requests']}; objects Octy refused: {pushes['failed'] or 0} "
        f"(expected: {seeded['refused_events']} events of an undeclared type); "
        f"error log rows: {SyncError.objects.count()}; time: {elapsed:.0f}s"
    )
    if base_url:
        state = fake_state(base_url)
        answered = sum(state["requests"].values())
        print(f"Octy: requests the fake Octy answered: {answered}, by status: {state['statuses']}")
    if crm is not None:
        by_method: dict[str, int] = {}
        for request in crm.request_log:
            by_method[request.method] = by_method.get(request.method, 0) + 1
        print(
            f"Octopus: requests the fake CRM answered: {len(crm.request_log)}, by method: "
            f"{by_method}; entries in the CRM: {len(crm.entries)}"
        )


def expected_refusals() -> Any:
    """The error rows of the events the seeding made Octy refuse (an undeclared type)."""
    from shop.seeding import UNDECLARED_EVENT_TYPE

    from django_octy.models import Event, SyncError

    refused = Event.objects.filter(event_type=UNDECLARED_EVENT_TYPE).values("pk")
    return SyncError.objects.filter(entity="event", row_id__in=refused)


def failures(seeded: dict[str, Any]) -> list[str]:
    """What the error log holds beyond the expected refusals, or expected but missing."""
    from django_octy.models import SyncError

    expected = expected_refusals()
    problems = [
        f"{error.entity} {error.identifier}: {error.reason}"
        for error in SyncError.objects.exclude(pk__in=expected.values("pk"))[:20]
    ]
    refused = expected.values("row_id").distinct().count()
    if refused != seeded["refused_events"]:
        problems.append(
            f"Octy refused {refused} of the {seeded['refused_events']} events of an "
            "undeclared type (it should refuse them all)"
        )
    return problems


def read_back_insights() -> None:
    """Pull what Octy computed for every profile (the beat entry does it hourly)."""
    from django.core.management import call_command

    say("Reading back what Octy computed: churn probability, RFM score, segments")
    call_command("octy_pull", "profile", stdout=io.StringIO())


def insights_summary() -> list[str]:
    """Print the churn and segment counts read back; problems if a profile has none."""
    from django.db.models import Count

    from django_octy.models import Profile

    profiles = Profile.objects.filter(parent__isnull=True)
    churn = dict(profiles.values_list("churn_probability").annotate(n=Count("pk")).order_by())
    print(f"Churn probability, as Octy computed it: {json.dumps(churn, sort_keys=True)}")
    unread = profiles.filter(insights_pulled_at__isnull=True).count()
    return [f"{unread} profiles were not read back from Octy"] if unread else []


def everything_reached_fake(base_url: str, seeded: dict[str, Any]) -> list[str]:
    """What did not reach the fake Octy, checked against its own state."""
    from shop.models import Customer, Product

    from django_octy.connection import get_client
    from django_octy.models import MessageTemplate, Segment

    problems = []
    customer_ids = {str(pk) for pk in Customer.objects.values_list("pk", flat=True)}
    missing = customer_ids - fake_customer_ids(base_url)
    if len(customer_ids) != seeded["customers"] or missing:
        problems.append(f"{len(missing)} of {len(customer_ids)} customers are not profiles in Octy")
    with get_client() as client:
        remote_items = {item["item_id"] for item in client.get_items()}
    skus = set(Product.objects.values_list("sku", flat=True))
    if skus - remote_items:
        problems.append(f"{len(skus - remote_items)} of {len(skus)} products are not items in Octy")
    counts = fake_state(base_url)["counts"]
    if counts["events"] != seeded["events"]:
        problems.append(f"Octy has {counts['events']} events, the shop recorded {seeded['events']}")
    for model, name in ((Segment, "segments"), (MessageTemplate, "templates")):
        if counts[name] != model.objects.count():
            problems.append(
                f"Octy has {counts[name]} {name}, the shop declared {model.objects.count()}"
            )
    return problems


def every_customer_reached_crm(crm: Any) -> list[str]:
    """Customers that are not Individual entries of the fake CRM (by e-mail address)."""
    from shop.models import Customer

    emails = set(Customer.objects.values_list("user__email", flat=True))
    in_crm = {e.get("Email") for e in crm.entries.values() if e["Type"] == "Individual"}
    missing = emails - in_crm
    return [f"{len(missing)} of {len(emails)} customers are not in the CRM"] if missing else []


@contextmanager
def log_file(name: str) -> Iterator[IO[str]]:
    with open(VAR_DIR / f"{name}.log", "w") as log:
        yield log


def serve(processes: Processes) -> None:
    port = env_int("DEMO_PORT", 8000)
    processes.start("web server", ["manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"])
    say(f"Shop:  http://127.0.0.1:{port}/   (customers: customer1... / shop-demo)")
    say(f"Admin: http://127.0.0.1:{port}/admin/   ({ADMIN_USERNAME} / {ADMIN_PASSWORD})")
    say(f"What Octy computed: http://127.0.0.1:{port}/insights/   (as {ADMIN_USERNAME})")
    say("Press Ctrl-C to stop.")
    while True:
        processes.check()
        time.sleep(1)


def stop_on_signals() -> None:
    """Ctrl-C and SIGTERM both end the demo through its cleanup, even when started in the
    background (where a shell may have set SIGINT to be ignored)."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGINT, interrupt)
    signal.signal(signal.SIGTERM, interrupt)


def main() -> int:
    stop_on_signals()
    started = time.monotonic()
    processes = Processes()
    stack = ExitStack()
    try:
        base_url = crm = None
        if os.environ.get("OCTY_BASE_URL"):
            say(f"Using the Octy at {os.environ['OCTY_BASE_URL']}: the demo data goes there")
        else:
            base_url = start_fake_octy(processes)
            say(f"Fake Octy at {base_url}")
        if os.environ.get("OCTOPUS_BASE_URL"):
            say(f"Using the Octopus CRM at {os.environ['OCTOPUS_BASE_URL']}")
        else:
            crm = start_fake_octopus(stack)
            say(f"Fake Octopus CRM at {crm.url}")
        prepare_django()
        migrate_and_create_admin()
        with log_file("worker") as worker_log, log_file("beat") as beat_log:
            processes.start(
                "Celery worker",
                ["-m", "celery", "-A", "config", "worker", "--concurrency=1", "-l", "INFO"],
                worker_log,
            )
            processes.start(
                "Celery beat", ["-m", "celery", "-A", "config", "beat", "-l", "INFO"], beat_log
            )
        say(f"Celery worker and beat started (logs in {VAR_DIR})")
        apply_definitions()
        seeded = seed()
        say("Waiting for the pipeline to push everything")
        pushed = wait_for_push(processes, env_int("DEMO_TIMEOUT", 240))
        problems = [] if pushed else ["Timed out with changes still pending"]
        read_back_insights()
        summary(base_url, crm, seeded, time.monotonic() - started)
        problems += insights_summary()
        problems += failures(seeded)
        if base_url:
            problems += everything_reached_fake(base_url, seeded)
        if crm is not None:
            problems += every_customer_reached_crm(crm)
        for problem in problems:
            print(f"PROBLEM: {problem}", file=sys.stderr)
        if os.environ.get("DEMO_NO_SERVE"):
            if crm is not None and not problems:
                say("Every customer reached the CRM.")
            say(
                f"Everything reached Octy, apart from the {seeded['refused_events']} events "
                "it refused as expected (see the admin's error log)."
                if not problems
                else "Demo failed."
            )
            return 1 if problems else 0
        serve(processes)
    except KeyboardInterrupt:
        print()
    finally:
        processes.stop()
        stack.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
