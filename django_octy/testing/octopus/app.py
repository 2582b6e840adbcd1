"""The WSGI app: ``POST /octopus/{Method}``, Bearer tokens, faults, and the request log.

As the vendor's collection shows (maximizercrm/octopus-api,
postman/collections/OctopusAPI.json): a body names its entity (``AbEntry``),
or several aliased payloads (``"AbEntry.1"``, ``"AbEntry.2"``) that are
processed in order, each committed alone, stopping at the first error
("Batch Queries"). The collection says a failed batched Read answers that
error alone, and says nothing of writes: a failed write answers the error
alone too, or with ``failure_names_written`` also the Data of the payloads
applied before it. ``"Compatibility": {"AbEntryKey": "2.0"}`` chooses the
Keys' form; ``VerifyToken`` answers HTTP 200 or, for an
invalid or expired token, HTTP 401. How other methods refuse an expired token
is not shown beyond ``TokenValid``'s ``Code`` -1 "Token is invalid":
``expiry_answer="http"`` makes them answer HTTP 401 instead.
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from ..faults import Fault
from ..request_log import RequestLogEntry
from ..serving import FaultingApp, drop_connection, format_retry_after, json_response
from . import entries, query
from .failures import (
    INVALID_REQUEST,
    LOGIN_FAILED,
    TOKEN_INVALID,
    TOKEN_INVALID_MESSAGE,
    OctopusFailure,
    failure_body,
    messages,
)
from .state import Entry, OctopusState, TokenSession, session_stamp

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from .server import FakeOctopus

PREFIX = "/octopus/"
ENTITY = "AbEntry"
MASKED = "********"
SECRET_FIELDS = ("Password", "AppKey")
PERSONAL_STAMP = "pat"
BETA_WARNING = "This method is in beta."

WRITES: dict[str, Callable[[OctopusState, Mapping[str, Any]], Entry]] = {
    "Create": entries.create,
    "Update": entries.update,
    "Delete": entries.delete,
}
OPEN_METHODS = ("Authenticate", "GetSystemInfo")
METHODS = (*OPEN_METHODS, "TokenValid", "VerifyToken", "Read", *WRITES)
COMPATIBLE_KEYS = {"AbEntryKey": "2.0"}


def canonical_method(name: str) -> str:
    """``AbEntryCreate`` (the older form) and ``Create`` are the same method."""
    bare = name.removeprefix(ENTITY)
    return bare if bare in ("Read", *WRITES) else name


@dataclass
class OctopusRequestLogEntry(RequestLogEntry):
    """A request to the fake Octopus. ``method`` is the Octopus method (``Create``...).

    ``code`` is the answer's ``Code`` (``None`` for an injected fault or a dropped
    connection); ``body`` has the password masked.
    """

    code: int | None = None


def without_secrets(body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    return {name: MASKED if name in SECRET_FIELDS else value for name, value in body.items()}


class OctopusApp(FaultingApp[OctopusRequestLogEntry]):
    """Serves ``fake``'s address book as Octopus would."""

    def __init__(self, fake: FakeOctopus) -> None:
        super().__init__(fake, OctopusRequestLogEntry)
        self.fake = fake

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self.serve(Request(environ), environ, start_response)

    def logged_method(self, request: Request) -> str:
        return self.fault_key(request)

    def fault_key(self, request: Request) -> str:
        return canonical_method(request.path.removeprefix(PREFIX))

    def respond(self, request: Request, fault: Fault, entry: OctopusRequestLogEntry) -> Response:
        if fault.status is not None:
            return self.injected(fault, entry)
        if not request.path.startswith(PREFIX) or entry.method not in METHODS:
            return json_response({"Code": -1, "Msg": ["Unknown method"]}, 404)
        if entry.method == "VerifyToken":
            return self.verify_token(request)
        if request.method != "POST":
            return json_response({"Code": -1, "Msg": ["Use POST"]}, 405)
        try:
            body = self.body(request)
            entry.body = without_secrets(body)
            entry.objects = len(payloads(body)) if entry.method in WRITES else 0
            answer = self.answer(entry.method, request, body)
        except TokenRefused:
            return Response(status=401)
        except OctopusFailure as failure:
            answer = failure_body(failure, self.fake.msg_style)
        entry.code = answer["Code"]
        if self.fake.take_lost_answer(entry.method):
            self._finish(entry)
            drop_connection(request.environ)
        return json_response(answer)

    def verify_token(self, request: Request) -> Response:
        """``VerifyToken``: the Bearer header alone, HTTP 200 or 401, no body."""
        state = self.fake.state
        with state.lock:
            try:
                self.session_stamp(state, request)
            except OctopusFailure:
                return Response(status=401)
        return Response(status=200)

    def injected(self, fault: Fault, entry: OctopusRequestLogEntry) -> Response:
        headers = {}
        if fault.retry_after is not None:
            entry.retry_after = fault.retry_after
            headers["Retry-After"] = format_retry_after(fault.retry_after)
        body = {"Code": -1, "Msg": ["The fake Octopus server was told to fail this request."]}
        return json_response(body, fault.status or 500, headers)

    @staticmethod
    def body(request: Request) -> dict[str, Any]:
        if request.mimetype != "application/json":
            raise OctopusFailure("Send Content-Type: application/json.", INVALID_REQUEST)
        try:
            body = json.loads(request.get_data() or b"{}")
        except ValueError:
            raise OctopusFailure("The request body is not valid JSON.", INVALID_REQUEST) from None
        if not isinstance(body, dict):
            raise OctopusFailure("The request body must be a JSON object.", INVALID_REQUEST)
        return body

    def answer(self, method: str, request: Request, body: dict[str, Any]) -> dict[str, Any]:
        state = self.fake.state
        with state.lock:
            if method == "Authenticate":
                return self.authenticate(state, body)
            if method == "GetSystemInfo":
                return {"Code": 0, "Data": dict(self.fake.system_info)}
            stamp = self.session_stamp(state, request)
            if method == "TokenValid":
                return {"Code": 0}
            return self.entity_method(state, method, body, stamp)

    def authenticate(self, state: OctopusState, body: Mapping[str, Any]) -> dict[str, Any]:
        if not self.fake.credentials_match(body):
            raise OctopusFailure("Login failed: wrong database, user or password.", LOGIN_FAILED)
        token = secrets.token_urlsafe(32)
        now = state.clock()
        state.sessions[token] = TokenSession(now, now, session_stamp(token))
        return {"Code": 0, "Data": {"Token": token}}

    def session_stamp(self, state: OctopusState, request: Request) -> str:
        """The stamp of the Bearer's session, renewing it; a Code -1 if it is not valid."""
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ") if header.startswith("Bearer ") else ""
        personal = self.fake.personal_token
        if personal and hmac.compare_digest(token.encode(), personal.encode()):
            return PERSONAL_STAMP
        session = state.sessions.get(token)
        now = state.clock()
        if session is None or not session.valid(now, self.fake.token_ttl):
            if self.fake.expiry_answer == "http" and request.path != PREFIX + "VerifyToken":
                raise TokenRefused
            raise OctopusFailure(TOKEN_INVALID_MESSAGE, TOKEN_INVALID)
        session.last_used = now
        return session.stamp

    def entity_method(
        self, state: OctopusState, method: str, body: Mapping[str, Any], stamp: str
    ) -> dict[str, Any]:
        """Each payload in order, each committed alone; the first failure is the answer."""
        compatibility = body.get("Compatibility")
        compatible = isinstance(compatibility, Mapping) and all(
            compatibility.get(name) == value for name, value in COMPATIBLE_KEYS.items()
        )

        def key_of(entry: Entry) -> str:
            return entry.key_for(stamp, state.key_prefix(entry, compatible))

        state.stamp = stamp
        answer: dict[str, Any] = {"Code": 0}
        for name, request in payloads(body).items():
            if method == "Read":
                answer[name] = query.read(state, request, key_of, self.fake.names_next_page)
                continue
            try:
                written = WRITES[method](state, request)
            except OctopusFailure as failure:
                if not self.fake.failure_names_written:
                    raise
                return {**failure_body(failure, self.fake.msg_style), **answer, "Code": -1}
            answer[name] = {"Data": entries.echoed(method, written, request, key_of(written))}
        if self.fake.beta_warning and method in WRITES:
            answer["Msg"] = messages([(BETA_WARNING, 0)], self.fake.msg_style)
        return answer


class TokenRefused(Exception):
    """The Bearer is not valid, and the fake answers that with HTTP 401."""


def payloads(body: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The body's AbEntry payloads by name: ``AbEntry``, or aliases such as ``AbEntry.1``."""
    found: dict[str, Mapping[str, Any]] = {}
    for name, value in body.items():
        entity, _, alias = name.partition(".")
        if name in ("Compatibility", "Configuration", "Globalization", "Token"):
            continue
        if entity != ENTITY or (not alias and "." in name):
            raise OctopusFailure(f"The fake serves {ENTITY} only, not {name}.", INVALID_REQUEST)
        if not isinstance(value, Mapping):
            raise OctopusFailure(f"{name} must be an object.", INVALID_REQUEST)
        found[name] = value
    if not found:
        raise OctopusFailure(f"The body needs an {ENTITY} object.", INVALID_REQUEST)
    return found
