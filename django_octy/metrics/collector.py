"""The pipeline as Prometheus metrics: a collector that reads the database at scrape time.

Needs the ``metrics`` extra (``prometheus-client``). Reading the database when
scraped, rather than counting in each process, is what makes the numbers right
with many Celery workers on many machines: they need no HTTP endpoint of their
own, and every web process that serves the metrics answers the same figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector, CollectorRegistry

from ..models import AlarmKind
from ..sync.pending import oldest_waiting_change, waiting_changes
from ..sync.targets import all_targets
from .readings import age_seconds, alarm_targets, backlogs, open_alarms, push_totals

PREFIX = "django_octy"


def unsynced_rows() -> GaugeMetricFamily:
    return GaugeMetricFamily(
        f"{PREFIX}_unsynced_rows",
        "Mirror rows whose last change has not reached the target: pending (waiting for a "
        "flush, a dependency or in flight), backoff (waiting to retry), failed (given up).",
        labels=["target", "entity", "state"],
    )


def oldest_pending_age() -> GaugeMetricFamily:
    return GaugeMetricFamily(
        f"{PREFIX}_oldest_pending_age_seconds",
        "Seconds since the oldest pending or backoff row last changed or was last tried "
        "(0 when none waits).",
        labels=["target", "entity"],
    )


def unmapped_changes() -> GaugeMetricFamily:
    return GaugeMetricFamily(
        f"{PREFIX}_unmapped_changes",
        "Saved host objects in the change log that no flush has mapped into mirror rows yet; "
        "until one does, no row metric counts them.",
    )


def oldest_unmapped_change_age() -> GaugeMetricFamily:
    return GaugeMetricFamily(
        f"{PREFIX}_oldest_unmapped_change_age_seconds",
        "Seconds since the oldest change waiting to be mapped was saved (0 when none waits).",
    )


def push_requests() -> CounterMetricFamily:
    return CounterMetricFamily(
        f"{PREFIX}_push_requests",
        "Batch requests sent, from the push log: outcome ok, or error when the request failed "
        'as a whole (status: its HTTP status, "none" when no answer came).',
        labels=["target", "entity", "operation", "outcome", "status"],
    )


def push_objects() -> CounterMetricFamily:
    return CounterMetricFamily(
        f"{PREFIX}_push_objects",
        "Objects sent, from the push log, by outcome: succeeded, rejected (refused one by "
        "one), unsettled (the request failed as a whole; they are sent again).",
        labels=["target", "entity", "operation", "outcome"],
    )


def alarm_open() -> GaugeMetricFamily:
    return GaugeMetricFamily(
        f"{PREFIX}_alarm_open",
        "1 while an alarm of this kind is open: its target pushes nothing until it is resolved.",
        labels=["target", "kind"],
    )


def target_enabled() -> GaugeMetricFamily:
    return GaugeMetricFamily(
        f"{PREFIX}_target_enabled",
        "1 when the settings switch the target on; a target switched off keeps its rows pending.",
        labels=["target"],
    )


class PipelineCollector(Collector):
    """Every django-octy metric, read when collected.

    Register it with a registry a project already serves to add the metrics
    there: ``prometheus_client.REGISTRY.register(PipelineCollector())``.
    """

    def describe(self) -> Iterator[Metric]:
        """The metrics without their samples, so that registering asks nothing of the database."""
        families = (
            unsynced_rows,
            oldest_pending_age,
            unmapped_changes,
            oldest_unmapped_change_age,
            push_requests,
            push_objects,
            alarm_open,
            target_enabled,
        )
        for family in families:
            yield family()

    def collect(self) -> Iterator[Metric]:
        yield from backlog_metrics()
        yield from unmapped_metrics()
        yield from push_metrics()
        yield alarm_metric()
        yield enabled_metric()


def backlog_metrics() -> Iterator[Metric]:
    now = timezone.now()
    rows, age = unsynced_rows(), oldest_pending_age()
    for backlog in backlogs(now):
        labels = [backlog.target, backlog.entity]
        rows.add_metric([*labels, "pending"], backlog.pending)
        rows.add_metric([*labels, "backoff"], backlog.backoff)
        rows.add_metric([*labels, "failed"], backlog.failed)
        age.add_metric(labels, age_seconds(backlog.oldest_change, now))
    yield rows
    yield age


def unmapped_metrics() -> Iterator[Metric]:
    now = timezone.now()
    changes, age = unmapped_changes(), oldest_unmapped_change_age()
    changes.add_metric([], waiting_changes().count())
    age.add_metric([], age_seconds(oldest_waiting_change(), now))
    yield changes
    yield age


def push_metrics() -> Iterator[Metric]:
    requests, objects = push_requests(), push_objects()
    # The log's groups split by request outcome; an object's outcome is summed over them.
    object_totals: Counter[tuple[str, ...]] = Counter()
    for total in push_totals():
        labels = (total.target, total.entity, total.operation)
        status = str(total.error_status or "none") if total.failed_request else ""
        outcome = "error" if total.failed_request else "ok"
        requests.add_metric([*labels, outcome, status], total.requests)
        object_totals[(*labels, "succeeded")] += total.succeeded
        object_totals[(*labels, "rejected")] += total.rejected
        object_totals[(*labels, "unsettled")] += total.unsettled
    for key, value in object_totals.items():
        objects.add_metric(list(key), value)
    yield requests
    yield objects


def alarm_metric() -> Metric:
    alarms = alarm_open()
    opened = open_alarms()
    targets = alarm_targets()
    for kind in AlarmKind:
        alarms.add_metric([targets[kind], kind.value], 1 if kind in opened else 0)
    return alarms


def enabled_metric() -> Metric:
    enabled = target_enabled()
    for target in all_targets():
        enabled.add_metric([target.name], 1 if target.enabled() else 0)
    return enabled


REGISTRY = CollectorRegistry(auto_describe=False)
REGISTRY.register(PipelineCollector())


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, and its content type."""
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
