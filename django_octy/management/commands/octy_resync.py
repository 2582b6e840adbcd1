"""``manage.py octy_resync``: push every registered host object and mirror row to Octy again."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper
from tqdm import tqdm

from ...conf import settings
from ...models import Entity
from ...sync.flush import FlushSummary
from ...sync.resync import ResyncSummary, plan, resync
from ...sync.targets import target_of
from ..arguments import add_entities_argument, positive_int, since_argument
from ..reporting import table

EXIT_STOPPED = 1
EXIT_INCOMPLETE = 3
EXIT_INTERRUPTED = 130


class ProgressStream:
    """Lets tqdm draw on a command's stderr (which would end each write with a newline)."""

    def __init__(self, output: OutputWrapper) -> None:
        self.output = output

    def write(self, text: str) -> None:
        self.output.write(text, ending="")

    def flush(self) -> None:
        self.output.flush()


class Command(BaseCommand):
    help = (
        "Push every registered host object and mirror row to Octy again (or only the rows "
        "changed since a date), batch by batch, with constant memory. Runs here by default; "
        "--async hands it to a Celery worker. Rerunning after a crash skips what Octy confirmed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_entities_argument(parser, "What to resync")
        parser.add_argument(
            "--since",
            type=since_argument,
            help="Only mirror rows changed since this date or datetime (ISO 8601); host "
            "objects are not re-read.",
        )
        parser.add_argument(
            "--batch-size",
            type=positive_int,
            default=500,
            help="Host objects read from the database per round (default 500). Requests "
            'carry OCTY["BATCH_SIZE"] objects each.',
        )
        parser.add_argument(
            "--concurrency",
            type=positive_int,
            help="Octy batch requests in flight at once (default: "
            'OCTY["RESYNC_CONCURRENCY"], 10, as Octy\'s own command-line client).',
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be pushed; change nothing."
        )
        parser.add_argument(
            "--async",
            action="store_true",
            dest="run_async",
            help="Send the resync to a Celery worker and return at once.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        entities: list[str] = options["entities"]
        since: datetime | None = options["since"]
        if options["dry_run"]:
            self.dry_run(entities, since)
        elif options["run_async"]:
            self.send(entities, since, options["batch_size"], options["concurrency"])
        else:
            self.run(
                entities,
                since,
                options["batch_size"],
                options["verbosity"],
                options["concurrency"],
            )

    def dry_run(self, entities: list[str], since: datetime | None) -> None:
        planned = plan(entities, since)
        rows = [
            [Entity(entity).label, planned.host_objects.get(entity), count]
            for entity, count in planned.mirror_rows.items()
        ]
        self.stdout.write(table(["Entity", "Host objects to re-read", "Rows to push"], rows))
        self.stdout.write("Dry run: nothing was changed or sent.")

    def send(
        self,
        entities: list[str],
        since: datetime | None,
        batch_size: int,
        concurrency: int | None,
    ) -> None:
        from ...operator_tasks import resync as resync_task

        options = {"queue": settings.CELERY_QUEUE} if settings.CELERY_QUEUE else {}
        kwargs = {
            "entities": entities or None,
            "since": since.isoformat() if since else None,
            "chunk_size": batch_size,
            "concurrency": concurrency,
        }
        result = resync_task.apply_async(kwargs=kwargs, **options)
        self.stdout.write(f"Resync sent to Celery as task {result.id}; a worker runs it.")

    def run(
        self,
        entities: list[str],
        since: datetime | None,
        batch_size: int,
        verbosity: int,
        concurrency: int | None,
    ) -> None:
        stream = ProgressStream(self.stderr)
        quiet = verbosity == 0
        staged = tqdm(desc="Staging", unit=" rows", file=stream, disable=quiet, mininterval=0.5)
        pushed = tqdm(desc="Pushing", unit=" rows", file=stream, disable=quiet, mininterval=0.5)

        def start_pushing(total: int) -> None:
            staged.close()
            pushed.reset(total=total)

        try:
            summary = resync(
                entities,
                since,
                batch_size,
                on_staged=staged.update,
                on_pushed=pushed.update,
                on_push_start=start_pushing,
                concurrency=concurrency,
            )
        except KeyboardInterrupt as interrupted:
            raise CommandError(
                "Interrupted. Run the same command again to resume: what Octy confirmed "
                "is not sent again.",
                returncode=EXIT_INTERRUPTED,
            ) from interrupted
        finally:
            staged.close()
            pushed.close()
        if summary.resumed:
            self.stdout.write(
                f"Resumed the resync started at {summary.started_at:%Y-%m-%d %H:%M:%S %Z}."
            )
        self.report(summary)

    def report(self, summary: ResyncSummary) -> None:
        flush = summary.flush
        names = ("sent", "created", "updated", "deleted", "failed", "retried", "requests")
        rows: list[list[Any]] = [
            [Entity(entity).label, *(getattr(counts, name) for name in names)]
            for entity, counts in flush.entities.items()
        ]
        rows.append(["Total", *(flush.total(name) for name in names)])
        self.stdout.write(table(["Entity", *(name.capitalize() for name in names)], rows))
        self.stdout.write(f"Time: {summary.seconds:.1f} s")
        if flush.disabled:
            raise CommandError(
                'Nothing was pushed: OCTY["SYNC_ENABLED"] is off.', returncode=EXIT_STOPPED
            )
        if flush.stopped:
            raise CommandError(
                f"Stopped: {flush.stopped}\nFix the keys or settings (octy_check tells what "
                "Octy answers), then run the same command again to resume.",
                returncode=EXIT_STOPPED,
            )
        problems = []
        if flush.total("failed"):
            problems.append(
                f"{refusals(flush)}: see octy_status or "
                "the error log in the admin, fix them, then octy_retry_failed."
            )
        if summary.mapping_errors:
            problems.append(
                f"{summary.mapping_errors} host objects could not be mapped to Octy objects: "
                'see the error log (operation "Map host object") and fix their sources or data.'
            )
        if summary.left_pending:
            cause = f" (last error: {summary.last_error})" if summary.last_error else ""
            problems.append(
                f"{summary.left_pending} objects are still pending{cause}. They stay queued: "
                "a worker retries them, or run the same command again to resume."
            )
        if problems:
            raise CommandError("\n".join(problems), returncode=EXIT_INCOMPLETE)
        self.stdout.write(self.style.SUCCESS("Resync complete: every object was confirmed."))


def refusals(flush: FlushSummary) -> str:
    """``"3 objects were refused (2 by Octy, 1 by Octopus)"``: each target named for its own."""
    refused: Counter[str] = Counter()
    for entity, counts in flush.entities.items():
        refused[target_of(entity).label] += counts.failed
    by_target = ", ".join(f"{count} by {label}" for label, count in refused.items() if count)
    return f"{flush.total('failed')} objects were refused ({by_target})"
