"""The WSGI app: Octy's transport rules, routing, faults and the request log."""

from __future__ import annotations

import base64
import hmac
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from .call import ApiCall, Route
from .faults import Fault
from .request_log import RequestLogEntry
from .responses import ApiError, Reply
from .routes import ROUTES
from .serving import FaultingApp, format_retry_after, json_response

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from .server import FakeOcty

MAX_OBJECTS = 500
MAX_BODY_BYTES = 10 * 1024 * 1024
CONTROL_PREFIX = "/_fake/"


def object_count(route: Route, body: Any) -> int:
    """How many objects a request carries: the length of its array, or 1 for one object."""
    if route.list_key is None:
        return 1 if isinstance(body, dict) else 0
    value = body.get(route.list_key) if isinstance(body, dict) else None
    return len(value) if isinstance(value, list) else 0


class OctyApp(FaultingApp[RequestLogEntry]):
    """Serves ``fake``'s state over HTTP as Octy would, plus the ``/_fake/`` control API."""

    def __init__(self, fake: FakeOcty) -> None:
        super().__init__(fake, RequestLogEntry)
        self.fake = fake

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        if request.path.startswith(CONTROL_PREFIX):
            return self.fake.control(request)(environ, start_response)
        return self.serve(request, environ, start_response)

    def fault_key(self, request: Request) -> str:
        return request.path

    def respond(self, request: Request, fault: Fault, entry: RequestLogEntry) -> Response:
        if fault.status is not None:
            error = ApiError(
                fault.status,
                "Injected fault",
                "The fake Octy server was told to fail this request.",
            )
            headers = {}
            if fault.retry_after is not None:
                entry.retry_after = fault.retry_after
                headers["Retry-After"] = format_retry_after(fault.retry_after)
            return _json_response(error.reply(headers))
        try:
            route = self._route(request)
            self._authenticate(request)
            entry.body = self._body(request, route)
            entry.objects = object_count(route, entry.body)
            if entry.objects > MAX_OBJECTS:
                raise ApiError(
                    413,
                    "Payload too large",
                    f"At most {MAX_OBJECTS} objects per request, got {entry.objects}.",
                )
            state = self.fake.state
            call = ApiCall(
                state,
                entry.body,
                request.args.to_dict(),
                request.headers.get("cursor"),
                fault.rejections,
                self.fake.dialect,
            )
            with state.lock:
                # Serialised under the lock: the body holds references into the store.
                return _json_response(route.handler(call))
        except ApiError as error:
            return _json_response(error.reply())

    def _route(self, request: Request) -> Route:
        methods = ROUTES.get(request.path)
        if methods is None:
            raise ApiError(404, "Not found", f"There is no resource at {request.path}.")
        route = methods.get(request.method)
        if route is None:
            raise ApiError(
                405, "Method not allowed", f"{request.method} is not allowed on {request.path}."
            )
        return route

    def _authenticate(self, request: Request) -> None:
        """HTTP Basic auth, or the bare base64 of ``public:secret`` that Octy's own clients
        send (``Octy-ai/octy-cli``, ``internal/adapters/secondary/rest/auth.go``;
        ``Octy-ai/octy-shopify``, ``internal/adapters/framework/secondary/rest/octy_requests.go``).
        """
        header = request.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        encoded = credentials if scheme.lower() == "basic" else header
        try:
            given = base64.b64decode(encoded.strip(), validate=True)
        except ValueError:
            given = b""
        expected = f"{self.fake.public_key}:{self.fake.secret_key}".encode()
        if not hmac.compare_digest(given, expected):
            raise ApiError(
                401,
                "Unauthorized",
                "Invalid API keys: send the public and secret keys with HTTP Basic auth.",
                topic="authentication",
            )

    def _body(self, request: Request, route: Route) -> Any:
        if route.method != "POST":
            return None
        if request.content_length is None:
            raise ApiError(411, "Length required", "A Content-Length header is required.")
        if request.mimetype != "application/json":
            raise ApiError(
                415,
                "Unsupported media type",
                f"Send Content-Type: application/json, got {request.mimetype or 'none'!r}.",
            )
        if request.content_length > MAX_BODY_BYTES:
            raise ApiError(
                413, "Payload too large", f"Bodies are limited to {MAX_BODY_BYTES} bytes."
            )
        try:
            return json.loads(request.get_data())
        except ValueError:
            raise ApiError(400, "Invalid JSON", "The request body is not valid JSON.") from None


def _json_response(reply: Reply) -> Response:
    return json_response(reply.body, reply.status, reply.headers)
