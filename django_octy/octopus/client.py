"""``OctopusClient``: AbEntry writes and reads over the Octopus API, with its session token.

Authentication is lazy: the first call that needs a token gets one from
``Authenticate`` (or uses the personal access token given). An answer that
says the token is invalid or expired (``Code`` -1, "Token is invalid", or
HTTP 401 as ``VerifyToken`` answers) makes the client authenticate again once
and repeat the call; Octopus refused that call, so repeating it cannot apply
it twice.

Every AbEntry request carries ``"Compatibility": {"AbEntryKey": "2.0"}``, as
every AbEntry example of the vendor's collection does (maximizercrm/octopus-api,
postman/collections/OctopusAPI.json): Keys are then issued in their current
form. A Key stays opaque to the client.
"""

from __future__ import annotations

import base64
import itertools
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import requests

from ..http.config import MASKED, check_base_url, check_timeout
from ..http.retrying import call_with_retries
from ..http.session import ClosedOnExit
from .answers import Answer, answer_code, failure, refuses_token
from .errors import (
    OctopusAuthError,
    OctopusBatchError,
    OctopusConfigurationError,
    OctopusEntryError,
    OctopusError,
)
from .transport import OctopusTransport, logger

DEFAULT_BASE_URL = "https://api.maximizer.com/octopus"
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_RETRIES = 5
ENTITY = "AbEntry"
COMPATIBILITY = {"AbEntryKey": "2.0"}

MethodStyle = Literal["current", "entity"]
WriteAction = Literal["Create", "Update", "Delete"]
METHOD_STYLES: tuple[MethodStyle, ...] = ("current", "entity")


@dataclass(frozen=True)
class Credentials:
    """What the client authenticates with; its repr shows no secret."""

    token: str | None = field(default=None, repr=False)
    database: str | None = None
    uid: str | None = None
    password: str | None = field(default=None, repr=False)
    vendor_id: str | None = None
    app_key: str | None = field(default=None, repr=False)

    @property
    def personal(self) -> bool:
        return self.token is not None

    def check(self) -> None:
        if self.token is None and not (self.database and self.uid and self.password):
            raise OctopusConfigurationError(
                "Octopus needs a personal access token, or a database, uid and password."
            )

    def authenticate_body(self) -> dict[str, str]:
        body = {
            "Database": self.database or "",
            "UID": self.uid or "",
            "Password": self.password or "",
        }
        if self.vendor_id:
            body["VendorId"] = self.vendor_id
        if self.app_key:
            body["AppKey"] = self.app_key
        return body


EntryLookup = Callable[[], dict[str, Any] | None]
"""Finds the entry a Create whose answer was lost may have made (``None``: none)."""


def page_offset_key(offset: int) -> str:
    """The ``PageKey`` of the page that starts at ``offset``: base64 of the offset, as in
    the vendor's paging example (page 2 of 10 sends ``"MTA="``)."""
    return base64.b64encode(str(offset).encode()).decode("ascii")


def refused(error: OctopusAuthError, message: str) -> OctopusAuthError:
    """``error`` (a refused token) with ``message`` saying what the client made of it."""
    return OctopusAuthError(
        message,
        method=error.method,
        code=error.code,
        messages=error.messages,
        error_codes=error.error_codes,
        status=error.status,
    )


def written_data(payload: Any) -> dict[str, Any]:
    """The ``Data`` of one payload's answer (``{}`` when it has none)."""
    data = payload.get("Data") if isinstance(payload, Mapping) else None
    return dict(data) if isinstance(data, Mapping) else {}


def _present(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


class OctopusClient(ClosedOnExit):
    """A client for one Octopus database.

    ``token`` is a personal access token (sent as the Bearer, never renewed);
    otherwise ``database``, ``uid`` and ``password`` (plus ``vendor_id`` and
    ``app_key`` on cloud) get session tokens from ``Authenticate``.
    ``method_style="entity"`` names methods the older way (``AbEntryCreate``).
    ``timeout`` is one number or ``(connect, read)`` seconds; ``max_retries``
    counts retries of transport failures, 5xx and 429 (0: one attempt).
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        token: str | None = None,
        database: str | None = None,
        uid: str | None = None,
        password: str | None = None,
        vendor_id: str | None = None,
        app_key: str | None = None,
        method_style: MethodStyle = "current",
        timeout: float | tuple[float, float] = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        allow_insecure: bool = False,
        session: requests.Session | None = None,
    ) -> None:
        self._credentials = Credentials(token, database, uid, password, vendor_id, app_key)
        self._credentials.check()
        if method_style not in METHOD_STYLES:
            raise OctopusConfigurationError(
                f"method_style must be one of {', '.join(METHOD_STYLES)}, got {method_style!r}."
            )
        if max_retries < 0:
            raise OctopusConfigurationError(f"max_retries must be 0 or more, got {max_retries!r}.")
        self.method_style = method_style
        self.base_url = check_base_url(
            base_url,
            allow_insecure,
            service="Octopus",
            secrets="the credentials",
            insecure_setting='OCTOPUS["ALLOW_INSECURE"]',
            error=OctopusConfigurationError,
        )
        timeouts = check_timeout(timeout, service="Octopus", error=OctopusConfigurationError)
        self._transport = OctopusTransport(self.base_url, timeouts, max_retries, session)
        self._token_lock = threading.Lock()
        self._session_token: str | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> OctopusClient:
        """Build a client from ``OCTOPUS``-style settings; empty values take the defaults."""
        options: dict[str, Any] = {
            "base_url": _present(config.get("BASE_URL")),
            "token": _present(config.get("TOKEN")),
            "database": _present(config.get("DATABASE")),
            "uid": _present(config.get("UID")),
            "password": _present(config.get("PASSWORD")),
            "vendor_id": _present(config.get("VENDOR_ID")),
            "app_key": _present(config.get("APP_KEY")),
            "method_style": _present(config.get("METHOD_STYLE")),
            "timeout": config.get("TIMEOUT"),
            "max_retries": config.get("MAX_RETRIES"),
            "allow_insecure": config.get("ALLOW_INSECURE"),
        }
        return cls(**{name: value for name, value in options.items() if value is not None})

    @property
    def timeout(self) -> tuple[float, float]:
        return self._transport.timeout

    @property
    def max_retries(self) -> int:
        return self._transport.max_retries

    def __repr__(self) -> str:
        credentials = self._credentials
        if credentials.personal:
            shown = f"token={MASKED!r}"
        else:
            shown = (
                f"database={credentials.database!r}, uid={credentials.uid!r}, password={MASKED!r}"
            )
        return f"OctopusClient(base_url={self.base_url!r}, {shown})"

    def close(self) -> None:
        """Close the client's own connection pool (a session passed in is left open)."""
        self._transport.close()

    # Authentication.

    def authenticate(self) -> None:
        """Get a session token (with a personal token: check it); raises OctopusAuthError."""
        if self._credentials.personal:
            if not self.token_valid():
                raise OctopusAuthError("The personal access token is refused", method="TokenValid")
            return
        with self._token_lock:
            self._session_token = self._log_in()

    def _log_in(self) -> str:
        answer = self._transport.post("Authenticate", self._credentials.authenticate_body(), None)
        if answer_code(answer) != 0:
            raise failure(
                answer, "Authenticate", "Octopus refused the credentials", OctopusAuthError
            )
        data = answer.get("Data")
        token = data.get("Token") if isinstance(data, Mapping) else None
        if not isinstance(token, str) or not token:
            raise OctopusAuthError(
                "Octopus's Authenticate answer has no token", method="Authenticate"
            )
        return token

    def _token(self) -> str:
        """The Bearer to send: the personal token, or the session token (logging in first)."""
        if self._credentials.token is not None:
            return self._credentials.token
        with self._token_lock:
            if self._session_token is None:
                self._session_token = self._log_in()
            return self._session_token

    def _renew(self, refused: str) -> None:
        """Replace the refused session token, unless another thread already did."""
        with self._token_lock:
            if self._session_token in (None, refused):
                self._session_token = self._log_in()

    def token_valid(self) -> bool:
        """Whether Octopus still accepts the current token (no re-authentication)."""
        return answer_code(self._transport.post("TokenValid", {}, self._token())) == 0

    def system_info(self) -> dict[str, Any]:
        """``GetSystemInfo`` (needs no token)."""
        answer = self._transport.post("GetSystemInfo", {}, None)
        data = self._checked(answer, "GetSystemInfo", OctopusError).get("Data")
        return dict(data) if isinstance(data, Mapping) else {}

    # Calls.

    def _method(self, action: str) -> str:
        return f"{ENTITY}{action}" if self.method_style == "entity" else action

    def _call(self, action: str, request: Mapping[str, Any], retries: int | None = None) -> Answer:
        """Send an AbEntry method with the token; one re-authentication if it is refused."""
        return self._call_named(action, {ENTITY: request}, retries)

    def _call_named(
        self, action: str, requests: Mapping[str, Mapping[str, Any]], retries: int | None = None
    ) -> Answer:
        """Send an AbEntry method with its payloads by name (``AbEntry``, or aliases)."""
        method = self._method(action)
        body = {**requests, "Compatibility": dict(COMPATIBILITY)}
        token = self._token()
        answer = self._post_authorized(method, body, token, retries)
        if not isinstance(answer, OctopusAuthError):
            return answer
        if self._credentials.personal:
            raise refused(answer, "Octopus refused the personal token")
        self._renew(token)
        answer = self._post_authorized(method, body, self._token(), retries)
        if isinstance(answer, OctopusAuthError):
            raise refused(answer, "The token stayed invalid after re-authenticating")
        return answer

    def _post_authorized(
        self, method: str, body: Mapping[str, Any], token: str, retries: int | None
    ) -> Answer | OctopusAuthError:
        """The answer, or the error saying Octopus refused the token (Code -1 or HTTP 401)."""
        try:
            answer = self._transport.post(method, body, token, retries)
        except OctopusAuthError as error:
            if error.status == 401:
                return error
            raise
        if refuses_token(answer):
            return failure(answer, method, "Octopus refused the token", OctopusAuthError)
        return answer

    @staticmethod
    def _checked(answer: Answer, method: str, error: type[OctopusError]) -> Answer:
        if answer_code(answer) != 0:
            raise failure(answer, method, "Octopus refused the request", error)
        return answer

    def _write(
        self, action: str, data: Mapping[str, Any], retries: int | None = None
    ) -> dict[str, Any]:
        answer = self._checked(
            self._call(action, {"Data": dict(data)}, retries),
            self._method(action),
            OctopusEntryError,
        )
        return written_data(answer.get(ENTITY))

    # AbEntry.

    def create_entry(
        self, data: Mapping[str, Any], *, lookup: EntryLookup | None = None
    ) -> dict[str, Any]:
        """Create an entry (``Type`` and its required fields); returns its Data with the new Key.

        A Create whose answer was lost (a dropped connection, a timeout, a 5xx)
        may have been applied. With ``lookup``, the client calls it before
        sending the Create again, and an entry it finds is taken as the one
        created: the CRM does not get a second entry. Without it, the Create is
        retried like any other call.
        """
        if "Key" in data and data["Key"] is not None:
            raise ValueError("create_entry() takes data without a Key; use update_entry()")
        request = {"Key": None, **data}
        if lookup is None:
            return self._write("Create", request)
        sent = False

        def create_once() -> dict[str, Any]:
            nonlocal sent
            if sent and (found := lookup()) is not None:
                return found
            sent = True
            return self._write("Create", request, retries=0)

        return call_with_retries(create_once, self.max_retries, logger)

    def update_entry(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Change the fields given of the entry named by ``data["Key"]``."""
        if not data.get("Key"):
            raise ValueError("update_entry() needs the entry's Key")
        return self._write("Update", data)

    def delete_entry(self, key: str) -> dict[str, Any]:
        """Delete the entry ``key`` names; returns the answer's Data (its Key)."""
        return self._write("Delete", {"Key": key})

    def write_entries(
        self, action: WriteAction, entries: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """Send ``entries`` in one request as aliased payloads (``AbEntry.1``, ``AbEntry.2``...);
        returns each one's Data (a created entry's with its new Key), in order.

        ``action`` is ``Create`` (data without a Key), ``Update`` (data with the
        entry's Key) or ``Delete`` (data holding the Key only). Octopus applies
        the payloads in order, each committed alone, and stops at the first it
        refuses (maximizercrm/octopus-api, postman/collections/OctopusAPI.json,
        "Batch Queries"): that raises :class:`OctopusBatchError`, whose
        ``written`` holds what the answer told of the payloads applied before it
        (nothing when the answer carries the error only). A Create is not
        repeated after a lost answer: some of its entries may exist.
        """
        if action == "Create" and any(data.get("Key") is not None for data in entries):
            raise ValueError("write_entries('Create') takes data without a Key")
        if action != "Create" and not all(data.get("Key") for data in entries):
            raise ValueError(f"write_entries({action!r}) needs every entry's Key")
        aliases = [f"{ENTITY}.{number}" for number in range(1, len(entries) + 1)]
        requests = {
            alias: {"Data": {"Key": None, **data} if action == "Create" else dict(data)}
            for alias, data in zip(aliases, entries, strict=True)
        }
        answer = self._call_named(action, requests, retries=0 if action == "Create" else None)
        written = [written_data(answer.get(alias)) for alias in aliases]
        if answer_code(answer) != 0:
            error = failure(
                answer, self._method(action), "Octopus refused the request", OctopusBatchError
            )
            error.written = list(itertools.takewhile(bool, written))
            raise error
        return written

    def read_entries(
        self,
        fields: Mapping[str, Any],
        query: Mapping[str, Any] | None = None,
        *,
        top: int | None = None,
        order_by: Sequence[Mapping[str, str]] | None = None,
        page_size: int | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Entries matching ``query`` with the ``fields`` asked for, fetched page by page.

        ``fields`` is ``Scope.Fields`` (``{"Key": 1, "Address": {"City": 1}}``);
        ``query`` is ``Criteria.SearchQuery``; ``order_by`` is a list such as
        ``[{"LastName": "ASC"}]``. Pages are fetched as the caller iterates.
        """
        criteria: dict[str, Any] = {}
        if query is not None:
            criteria["SearchQuery"] = dict(query)
        if top is not None:
            criteria["Top"] = top
        order: dict[str, Any] = {}
        if order_by is not None:
            order["Fields"] = [dict(item) for item in order_by]
        if page_size is not None:
            order["PageSize"] = page_size
        request: dict[str, Any] = {"Scope": {"Fields": dict(fields)}, "Criteria": criteria}
        return self._pages(request, order, top)

    def _pages(
        self, request: dict[str, Any], order: dict[str, Any], top: int | None
    ) -> Iterator[dict[str, Any]]:
        """The entries, page after page; at most ``top`` of them.

        The next page's key is the one the answer names; an answer that names
        none (the vendor does not publish the field) is followed by base64 of
        the running offset, until a page comes back shorter than ``PageSize``.
        ``Top`` is also counted here, whether the server applies it to the
        whole read or to each page.
        """
        seen: set[str] = set()
        page_size = order.get("PageSize")
        page_key: str | None = None
        offset = 0
        while True:
            page_order = {**order, "PageKey": page_key} if page_size is not None else order
            rows, next_key = self._page(
                {**request, "OrderBy": page_order} if page_order else request
            )
            if top is not None:
                rows = rows[: top - offset]
            yield from rows
            offset += len(rows)
            if not rows or (top is not None and offset >= top):
                return
            if next_key is None:
                if page_size is None or len(rows) < page_size:
                    return
                next_key = page_offset_key(offset)
            if next_key in seen:
                raise OctopusError("Octopus's PageKey did not advance", method=self._method("Read"))
            seen.add(next_key)
            page_key = next_key

    def _page(self, request: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
        """One page's entries and the key of the next page, if the answer names one."""
        answer = self._checked(self._call("Read", request), self._method("Read"), OctopusError)
        entity = answer.get(ENTITY)
        if not isinstance(entity, Mapping):
            return [], None
        rows = entity.get("Data")
        entries = (
            [dict(row) for row in rows if isinstance(row, Mapping)]
            if isinstance(rows, list)
            else []
        )
        next_key = entity.get("PageKey")
        return entries, next_key if isinstance(next_key, str) and next_key else None
