"""What every fake API server here shares: serving a WSGI app on 127.0.0.1 in a thread.

:class:`FakeServer` owns the lifecycle (``start``/``stop``, context manager,
``serve_forever``), the :class:`~.faults.FaultPlan` with its ``latency``, and
the request log. :class:`FaultingApp` is the WSGI front that applies the
plan's faults to each request and logs it; a subclass answers what gets through.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Generic, Self, TypeVar

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from .faults import Fault, FaultPlan, FaultRule, Hold
from .in_flight import InFlight
from .request_log import RequestLogEntry

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

HOST = "127.0.0.1"

Entry = TypeVar("Entry", bound=RequestLogEntry)


class QuietRequestHandler(WSGIRequestHandler):
    """werkzeug's handler without the access-log line per request.

    It speaks HTTP/1.1 so that clients keep connections alive, as with the real APIs.
    """

    protocol_version = "HTTP/1.1"

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def format_retry_after(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


def drop_connection(environ: WSGIEnvironment) -> None:
    """Close the client's socket without answering; werkzeug ignores dropped connections."""
    sock: socket.socket = environ["werkzeug.socket"]
    sock.shutdown(socket.SHUT_RDWR)
    raise ConnectionAbortedError("connection dropped by fault injection")


class FakeServer(ABC, Generic[Entry]):
    """A fake API served on 127.0.0.1 (``port=0``: a free port) in a background thread."""

    thread_name = "fake-api"

    def __init__(self, port: int = 0, latency: float = 0.0) -> None:
        self.port = port
        self.faults = FaultPlan()
        self.latency = latency
        self.request_log: list[Entry] = []
        self.in_flight = InFlight()
        """Requests being answered now and at most at once (``in_flight.peak``)."""
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @abstractmethod
    def wsgi_app(self) -> WSGIApplication:
        """The application to serve."""

    @abstractmethod
    def account(self) -> str:
        """Who the fake serves, for its repr (never a secret)."""

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"<{type(self).__name__} {where} {self.account()}>"

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def root_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def url(self) -> str:
        """The base URL clients are given."""
        return self.root_url

    def start(self) -> Self:
        if self._server is not None:
            raise RuntimeError(f"This {type(self).__name__} is already running")
        # Binding here rather than in werkzeug turns a busy port into an OSError
        # (werkzeug would print and call sys.exit).
        listener = socket.create_server((HOST, self.port))
        self.port = listener.getsockname()[1]
        try:
            self._server = make_server(
                HOST,
                self.port,
                self.wsgi_app(),
                threaded=True,
                request_handler=QuietRequestHandler,
                fd=listener.fileno(),
            )
        finally:
            listener.close()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.thread_name}-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = None
        self._thread = None

    def serve_forever(self) -> None:
        """Serve in the calling thread until :meth:`stop` is called from another one."""
        self.start()
        assert self._thread is not None
        self._thread.join()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def latency(self) -> float:
        """Seconds added to every API request."""
        return self.faults.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"latency cannot be negative, got {seconds}")
        self.faults.latency = seconds

    def hold(self, key: str) -> Hold:
        """Hold the next request matching ``key`` (a path prefix, or an Octopus method)
        before it is handled, until the returned :class:`~.faults.Hold` is released."""
        held = Hold()
        self.faults.add_rule(FaultRule(key, Fault(hold=held)))
        return held

    def garble(self, key: str, times: int | None = 1) -> None:
        """Cut the 2xx answers of the next ``times`` requests matching ``key`` in half
        (the requests are handled: only their answers are lost)."""
        self.faults.add_rule(FaultRule(key, Fault(garble=True), times))


class FaultingApp(ABC, Generic[Entry]):
    """Applies the server's faults to each request, answers the rest, and logs every one."""

    def __init__(self, server: FakeServer[Entry], entry_type: type[Entry]) -> None:
        self.server = server
        self.entry_type = entry_type

    def logged_method(self, request: Request) -> str:
        """What the log entry's ``method`` says: the HTTP method unless the API names its own."""
        return request.method

    @abstractmethod
    def fault_key(self, request: Request) -> str:
        """What injected faults are matched against (a path, a method name)."""

    def new_entry(self, request: Request) -> Entry:
        """The log entry of a request that has just arrived."""
        return self.entry_type(
            self.logged_method(request),
            request.path,
            request.query_string.decode("latin-1"),
            status=None,
            objects=0,
            started_at=time.monotonic(),
            finished_at=0.0,
        )

    @abstractmethod
    def respond(self, request: Request, fault: Fault, entry: Entry) -> Response:
        """The answer: the injected error of ``fault``, or the API's own."""

    def serve(
        self, request: Request, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        entry = self.new_entry(request)
        self.server.in_flight.enter()
        try:
            fault = self.server.faults.fault_for(self.fault_key(request))
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop_connection:
                self._finish(entry)
                drop_connection(environ)
            if fault.hold is not None:
                fault.hold.hold_here()
            response = self.respond(request, fault, entry)
            entry.status = response.status_code
            if fault.garble and response.status_code < 300:
                body = response.get_data()
                response.set_data(body[: len(body) // 2])
            self._finish(entry)
        finally:
            self.server.in_flight.leave()
        return response(environ, start_response)

    def _finish(self, entry: Entry) -> None:
        entry.finished_at = time.monotonic()
        self.server.request_log.append(entry)


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status, headers, content_type="application/json")
