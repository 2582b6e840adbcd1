"""Targets: the services the engine pushes mirror rows to (Octy, Octopus).

The engine (claims, leases, backoff, bookkeeping, alarms, the push log,
signals) is the same for every target. A :class:`Target` says what is
specific to one service: whether it is switched on, how to open a
connection to it and which :class:`~django_octy.sync.handlers.Handler`\\ s
push its entities (building payloads, sending them, mapping the answers to
an outcome per row), and what a failed request means (:meth:`Target.classify`,
read from the client's errors, which all say whether they are retryable).
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime
from typing import Any, ClassVar

from django.apps import apps

from ...http.errors import ServiceError
from ...models import MODEL_NAMES, AlarmKind, Entity, HostChange, Operation, SyncedObject
from ..claim import skips_locked_rows
from ..folding import FOLD_CHUNK
from ..handlers import Handler
from ..outcomes import Rejected, Retry
from ..pending import due


class Failure(enum.Enum):
    """What a request that failed as a whole means for its rows."""

    STOP = "stop"
    """The target refused the credentials: nothing else can go through either."""
    RETRY = "retry"
    """Transient (timeout, dropped connection, 5xx, 429): back off, at least ``Retry-After``."""
    SPLIT = "split"
    """The request was refused as a whole (too large, a 400): split it to isolate the culprit."""


class NotConfigured(Exception):
    """The target's settings cannot make a connection (the message says why)."""


class Target(ABC):
    """One service the engine pushes to, and how its failures are read."""

    name: ClassVar[str]
    label: ClassVar[str]
    entities: ClassVar[tuple[Entity, ...]]
    """The entities this target pushes, in the order a flush drains them."""
    auth_alarm: ClassVar[AlarmKind]
    configuration_alarm: ClassVar[AlarmKind]
    error_class: ClassVar[type[ServiceError]]
    """The base of the client's errors."""
    auth_error_class: ClassVar[type[ServiceError]]
    """The client's error for refused credentials."""
    configuration_error_class: ClassVar[type[ServiceError]]
    """The client's error for settings it cannot work with."""
    handler_classes: ClassVar[Sequence[Callable[[Any], Handler]]]
    """The handlers, each built over the client, in the order a flush drains them."""

    def configured(self) -> bool:
        """Whether the project uses this target at all (status pages list only those)."""
        return True

    @abstractmethod
    def enabled(self) -> bool:
        """Whether the settings switch this target on (its rows wait, recorded, otherwise)."""

    @abstractmethod
    def batch_size(self) -> int:
        """Rows one claim takes."""

    @abstractmethod
    def timeout(self) -> float | tuple[float, float]:
        """The client's timeout setting: seconds, or (connect, read)."""

    def longest_request(self) -> float:
        """Seconds one attempt of a request may last at most: its connect and read timeouts."""
        timeout = self.timeout()
        connect, read = timeout if isinstance(timeout, tuple | list) else (timeout, timeout)
        return float(connect) + float(read)

    def prepare(self) -> None:  # noqa: B027 - a hook; most targets need nothing here
        """Database work before a flush connects (nothing by default)."""

    def credentials_answered(self, accepted: bool, reason: str = "") -> None:  # noqa: B027
        """A push showed the credentials accepted or refused (nothing is kept by default)."""

    @abstractmethod
    def make_client(self) -> AbstractContextManager[Any]:
        """A new client from the settings (the caller closes it)."""

    def settings_problem(self) -> str | None:
        """Why the settings cannot make a client (no request is sent), or ``None``."""
        try:
            with self.make_client():
                return None
        except self.configuration_error_class as error:
            return str(error)

    @contextmanager
    def connect(self) -> Iterator[Sequence[Handler]]:
        """The handlers of every entity over one open client, closed on exit.

        Raises :class:`NotConfigured` when the settings cannot make a client.
        """
        try:
            client = self.make_client()
        except self.configuration_error_class as error:
            raise NotConfigured(str(error)) from error
        with client:
            yield [handler_class(client) for handler_class in self.handler_classes]

    def classify(self, error: Exception) -> Failure | None:
        """What ``error``, raised by a handler's push, means; ``None``: not the target's error."""
        if isinstance(error, self.auth_error_class):
            return Failure.STOP
        if isinstance(error, self.error_class):
            return Failure.RETRY if error.retryable else Failure.SPLIT
        return None

    def retry(self, error: Exception) -> Retry:
        """The outcome of the rows of a request that failed transiently with ``error``."""
        assert isinstance(error, self.error_class)
        return Retry(str(error), error.retry_after, getattr(error, "status", None))

    @abstractmethod
    def rejected(self, operation: Operation, error: Exception) -> Rejected:
        """The outcome of the one row of a request refused with ``error``."""


def all_targets() -> list[Target]:
    """Every target, in the order a flush visits them."""
    # Imported here: each target module imports this one for the Target base class.
    from .octopus import OctopusTarget
    from .octy import OctyTarget

    return [OctyTarget(), OctopusTarget()]


def target_of(entity: Entity | str) -> Target:
    """The target that pushes ``entity``."""
    return next(target for target in all_targets() if Entity(entity) in target.entities)


def enabled_models() -> list[type[SyncedObject]]:
    """The mirror models of the targets that are switched on: the ones a flush pushes."""
    return [model for target in all_targets() if target.enabled() for model in models_of(target)]


def models_of(target: Target) -> list[type[SyncedObject]]:
    """The mirror models of ``target``'s entities."""
    return [apps.get_model("django_octy", MODEL_NAMES[entity]) for entity in target.entities]


def another_flusher_would_help(now: datetime | None = None) -> bool:
    """Whether a second flusher could claim rows that one claim leaves.

    That needs claims that skip each other's rows (not SQLite, where flushers
    queue on the write lock) and, for a target that is switched on, more due
    rows of one of its models than one of its claims takes; or more changes
    in the log than one fold takes (folders skip each other's changes too).
    """
    if skips_locked_rows(HostChange) and HostChange.objects.all()[FOLD_CHUNK:].exists():
        return True
    return any(
        skips_locked_rows(model) and due(model, now)[limit : limit + 1].exists()
        for target in all_targets()
        if target.enabled()
        for limit in [target.batch_size()]
        for model in models_of(target)
    )
