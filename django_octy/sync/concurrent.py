"""Draining one entity with several batch requests in flight, for a resync.

Octy's own command-line client uploads 500 objects a request, 10 requests at
a time (``Octy-ai/octy-cli``: ``internal/application/domain/data_upload/logic.go``
bounds its uploads with a semaphored wait group). :class:`ConcurrentDrain`
does the same with claims: the calling thread claims batches in id order
(:meth:`ConcurrentDrain.claims`; a resync's drain stages them too) and
hands each to a pool of ``in_flight`` threads, which push it and write its
outcomes (claim, push and apply are those of the ordinary
:class:`~django_octy.sync.flush.Drain`). A new batch is claimed only when
fewer than ``in_flight`` are out, so at most ``in_flight`` requests are in
flight and at most that many batches are held in memory. The client's rate
limiter and ``Retry-After`` holds are shared by every thread of the process.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, fields

from django.db import connections

from ..models import SyncedObject
from .claim import Claim, claim
from .flush import Drain, EntitySummary
from .handlers import Handler
from .pending import due
from .targets import Target


class ConcurrentDrain(Drain):
    """A :class:`~django_octy.sync.flush.Drain` that pushes up to ``in_flight`` batches at once."""

    def __init__(
        self, target: Target, handler: Handler, summary: EntitySummary, in_flight: int
    ) -> None:
        super().__init__(target, handler, summary)
        self.in_flight = in_flight
        self.out: set[Future[Pushed]] = set()
        """The batches pushed and not yet collected."""
        self.raised: BaseException | None = None
        """What a collected push raised first: no batch is claimed after it."""

    def run(self) -> None:
        with ThreadPoolExecutor(self.in_flight, thread_name_prefix="octy-push") as pool:
            try:
                for claimed in self.claims():
                    self.out.add(pool.submit(self.push_apart, claimed))
            finally:
                # Batches already sent finish and record their outcomes, whatever happened here.
                leftover = self.collect(wait(self.out).done)
        raised = self.raised or leftover
        if raised is not None:
            raise raised

    def claims(self) -> Iterator[Claim[SyncedObject]]:
        """The batches to push, each claimed once a request may go (:meth:`free_slot`), in
        id order; none once a push has raised."""
        handler = self.handler
        limit = self.target.batch_size()
        if not due(handler.model).filter(handler.scope).exists():
            return
        after = 0
        while self.free_slot() and (
            claimed := claim(handler.model, limit, after, handler.select_related, handler.scope)
        ):
            after = claimed.rows[-1].pk
            yield claimed
            if len(claimed.rows) < limit:
                return

    def free_slot(self) -> bool:
        """Wait until fewer than ``in_flight`` batches are out; whether pushing may go on
        (no push has raised)."""
        while self.raised is None and len(self.out) >= self.in_flight:
            done, self.out = wait(self.out, return_when=FIRST_COMPLETED)
            self.raised = self.collect(done)
        return self.raised is None

    def push_apart(self, claimed: Claim[SyncedObject]) -> Pushed:
        """Push and settle one claim in a pool thread; what it raised goes back to the caller."""
        drain = Drain(self.target, self.handler, EntitySummary())
        try:
            drain.push_claim(claimed)
        except BaseException as error:
            return Pushed(drain, error)
        finally:
            connections.close_all()  # this thread's own connections
        return Pushed(drain, None)

    def collect(self, done: Iterable[Future[Pushed]]) -> BaseException | None:
        """Add up the finished pushes; returns the first error one of them raised."""
        results = [future.result() for future in done]
        for result in results:
            for name in (field.name for field in fields(EntitySummary)):
                total = getattr(self.summary, name) + getattr(result.drain.summary, name)
                setattr(self.summary, name, total)
            self.pushed = self.pushed or result.drain.pushed
        return next((result.error for result in results if result.error is not None), None)


@dataclass(frozen=True)
class Pushed:
    """One claim pushed in a pool thread: its drain (what it counted) and what it raised."""

    drain: Drain
    error: BaseException | None
