"""``OctopusClient``: AbEntry writes and reads over the Octopus API, with its session token.

Authentication is lazy: the first call that needs a token gets one from
``Authenticate`` (or uses the personal access token given). An answer that
says the token is invalid or expired (``Code`` -1, "Token is invalid") makes
the client authenticate again once and repeat the call; Octopus refused that
call, so repeating it cannot apply it twice.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import requests

from ..http.config import MASKED, check_base_url, check_timeout
from ..http.session import ClosedOnExit
from .answers import Answer, answer_code, failure, refuses_token
from .errors import (
    OctopusAuthError,
    OctopusConfigurationError,
    OctopusEntryError,
    OctopusError,
)
from .transport import OctopusTransport

DEFAULT_BASE_URL = "https://api.maximizer.com/octopus"
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_RETRIES = 5
ENTITY = "AbEntry"

MethodStyle = Literal["current", "entity"]
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

    def _call(self, action: str, request: Mapping[str, Any]) -> Answer:
        """Send an AbEntry method with the token; one re-authentication if it is refused."""
        method = self._method(action)
        body = {ENTITY: request}
        token = self._token()
        answer = self._transport.post(method, body, token)
        if not refuses_token(answer):
            return answer
        if self._credentials.personal:
            raise failure(answer, method, "Octopus refused the personal token", OctopusAuthError)
        self._renew(token)
        answer = self._transport.post(method, body, self._token())
        if refuses_token(answer):
            raise failure(
                answer, method, "The token stayed invalid after re-authenticating", OctopusAuthError
            )
        return answer

    @staticmethod
    def _checked(answer: Answer, method: str, error: type[OctopusError]) -> Answer:
        if answer_code(answer) != 0:
            raise failure(answer, method, "Octopus refused the request", error)
        return answer

    def _write(self, action: str, data: Mapping[str, Any]) -> dict[str, Any]:
        answer = self._checked(
            self._call(action, {"Data": dict(data)}), self._method(action), OctopusEntryError
        )
        entity = answer.get(ENTITY)
        written = entity.get("Data") if isinstance(entity, Mapping) else None
        return dict(written) if isinstance(written, Mapping) else {}

    # AbEntry.

    def create_entry(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Create an entry (``Type`` and its required fields); returns its Data with the new Key."""
        if "Key" in data and data["Key"] is not None:
            raise ValueError("create_entry() takes data without a Key; use update_entry()")
        return self._write("Create", {"Key": None, **data})

    def update_entry(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Change the fields given of the entry named by ``data["Key"]``."""
        if not data.get("Key"):
            raise ValueError("update_entry() needs the entry's Key")
        return self._write("Update", data)

    def delete_entry(self, key: str) -> None:
        self._write("Delete", {"Key": key})

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
        return self._pages(request, order)

    def _pages(self, request: dict[str, Any], order: dict[str, Any]) -> Iterator[dict[str, Any]]:
        seen: set[str] = set()
        page_key: str | None = None
        while True:
            page_order = {**order, "PageKey": page_key} if page_key else order
            rows, page_key = self._page(
                {**request, "OrderBy": page_order} if page_order else request
            )
            yield from rows
            if page_key is None or not rows:
                return
            if page_key in seen:
                raise OctopusError("Octopus's PageKey did not advance", method=self._method("Read"))
            seen.add(page_key)

    def _page(self, request: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
        """One page's entries and the key of the next page (``None`` after the last)."""
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
