"""``FakeOctopus``: a fake Octopus (Maximizer CRM) API for tests, with fault injection."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal

from ..faults import Fault, FaultRule
from ..serving import FakeServer
from .app import OctopusApp, OctopusRequestLogEntry, canonical_method
from .failures import MsgStyle
from .state import OctopusState

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

ExpiryAnswer = Literal["code", "http"]
DEFAULT_TOKEN_TTL = 600.0
SYSTEM_INFO = {"Version": "fake", "Product": "Maximizer CRM (fake Octopus)"}


class FakeOctopus(FakeServer[OctopusRequestLogEntry]):
    """A fake Octopus API served on 127.0.0.1 in a background thread.

    Authenticate with ``database``, ``uid`` and ``password`` (and ``vendor_id``
    and ``app_key`` when given), or send ``personal_token`` as the Bearer.
    Session tokens expire ``token_ttl`` seconds after their last use.
    ``msg_style="object"`` answers ``Msg`` as ``{"Message", "ErrorCode"}``
    objects instead of strings. ``beta_warning`` adds a ``Msg`` to successful
    writes, as servers do for methods in beta. Where the vendor's sources
    leave two readings open, the default is one and an option the other:
    ``expiry_answer="http"`` refuses an expired token with HTTP 401 (as
    ``VerifyToken`` does) instead of ``Code`` -1; ``names_next_page`` names the
    next page's key in a Read answer; ``abentry_keys`` issues current-form
    Keys that decode to ``AbEntry`` rather than to the entry's Type;
    ``session_keys`` refuses a write naming a Key another session was issued
    (the vendor calls Keys valid only for the session that read them);
    ``failure_names_written`` answers an aliased write that stops at an error
    with the Data of the payloads applied before it as well (the collection
    says a failed batched Read answers the error alone, and says nothing of
    writes).
    """

    thread_name = "fake-octopus"

    def __init__(
        self,
        database: str = "test",
        uid: str = "crm-user",
        password: str | None = None,
        personal_token: str | None = None,
        token_ttl: float = DEFAULT_TOKEN_TTL,
        *,
        vendor_id: str | None = None,
        app_key: str | None = None,
        msg_style: MsgStyle = "string",
        beta_warning: bool = False,
        expiry_answer: ExpiryAnswer = "code",
        names_next_page: bool = False,
        abentry_keys: bool = False,
        session_keys: bool = False,
        failure_names_written: bool = False,
        port: int = 0,
        latency: float = 0.0,
    ) -> None:
        super().__init__(port, latency)
        self.database = database
        self.uid = uid
        self.password = password or secrets.token_urlsafe(16)
        self.personal_token = personal_token
        self.token_ttl = token_ttl
        self.vendor_id = vendor_id
        self.app_key = app_key
        self.msg_style: MsgStyle = msg_style
        self.beta_warning = beta_warning
        self.expiry_answer: ExpiryAnswer = expiry_answer
        self.names_next_page = names_next_page
        self.abentry_keys = abentry_keys
        self.session_keys = session_keys
        self.failure_names_written = failure_names_written
        self.system_info: dict[str, Any] = dict(SYSTEM_INFO)
        self.state = OctopusState(abentry_keys=abentry_keys, session_keys=session_keys)
        self._lost_answers: dict[str, int] = {}

    def account(self) -> str:
        return f"database={self.database!r} uid={self.uid!r}"

    def wsgi_app(self) -> WSGIApplication:
        return OctopusApp(self)

    @property
    def url(self) -> str:
        return f"{self.root_url}/octopus"

    def credentials_match(self, body: Mapping[str, Any]) -> bool:
        expected = {
            "Database": self.database,
            "UID": self.uid,
            "Password": self.password,
            "VendorId": self.vendor_id,
            "AppKey": self.app_key,
        }
        return all(
            hmac.compare_digest(str(body.get(name) or "").encode(), value.encode())
            for name, value in expected.items()
            if value is not None
        )

    # Inspection.

    @property
    def entries(self) -> dict[str, dict[str, Any]]:
        """Every AbEntry by stable id (``id<TAB>number``): its fields, ``Type``,
        ``ParentKey`` (the parent's stable id, contacts only) and the ``Key`` last issued."""
        with self.state.lock:
            return {
                stable_id: {
                    **entry.fields,
                    "Id": entry.identity.id,
                    "Number": entry.identity.number,
                    "ParentKey": entry.parent,
                    "Key": entry.last_key,
                }
                for stable_id, entry in self.state.entries.items()
            }

    # Steering.

    def expire_tokens(self) -> None:
        """Make every session token issued so far invalid (the next call answers Code -1)."""
        with self.state.lock:
            self.state.sessions.clear()

    def inject(
        self,
        method: str,
        status: int | None = 429,
        retry_after: float | None = None,
        times: int | None = 1,
        delay: float = 0.0,
        drop_connection: bool = False,
    ) -> None:
        """Treat the next ``times`` calls of ``method`` (either style; ``None``: every call).

        ``status`` answers with that HTTP status (and ``Retry-After`` when
        ``retry_after`` is given); ``drop_connection`` closes the socket
        without an answer instead; ``delay`` sleeps first.
        """
        fault = Fault(None if drop_connection else status, retry_after, delay, drop_connection)
        self.faults.add_rule(FaultRule(canonical_method(method), fault, times))

    def lose_answers(self, method: str, times: int = 1) -> None:
        """Apply the next ``times`` calls of ``method``, then drop the connection instead of
        answering: the client cannot tell whether they happened."""
        with self.state.lock:
            self._lost_answers[canonical_method(method)] = times

    def take_lost_answer(self, method: str) -> bool:
        """Whether the answer to this call of ``method`` is to be lost (counts it)."""
        with self.state.lock:
            left = self._lost_answers.get(method, 0)
            if left:
                self._lost_answers[method] = left - 1
            return bool(left)

    def reject_entry(self, field: str, value: str, message: str = "Rejected by the test") -> None:
        """Answer Code -1 with ``message`` to writes of entries whose ``field`` is ``value``."""
        with self.state.lock:
            self.state.rejections[(field, value)] = message

    def reset(self) -> None:
        """Forget everything: entries, tokens, faults, latency and the request log."""
        self.state = OctopusState(abentry_keys=self.abentry_keys, session_keys=self.session_keys)
        self._lost_answers.clear()
        self.faults.clear()
        self.request_log.clear()
