"""Batch writes: each object of the body's array succeeds or fails on its own."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .call import ApiCall, Route
from .responses import Reply, success
from .state import OctyState
from .validation import ObjectRejected

Apply = Callable[[OctyState, Any], dict[str, Any]]


def failure(obj: Any, keys: Sequence[str], message: str) -> dict[str, Any]:
    """A ``failed_to_*`` entry: the object's identifying fields and Octy's message.

    A bare identifier (deletes send lists of ids) is echoed under the first key.
    """
    if isinstance(obj, dict):
        echoed = {key: obj.get(key) for key in keys}
    else:
        echoed = {**dict.fromkeys(keys), keys[0]: obj}
    return {**echoed, "error_message": message}


def named_by_identifier(obj: Any, keys: Sequence[str], message: str) -> dict[str, Any]:
    """A ``failed_to_*`` entry as Octy's reference page shows it (``identifier``)."""
    value = obj.get(keys[0]) if isinstance(obj, dict) else obj
    return {"identifier": value, "error_message": message}


def identifier(obj: Any, name: str) -> str:
    """Check one entry of a delete's id list."""
    if not isinstance(obj, str) or not obj:
        raise ObjectRejected(f"Each {name} must be a non-empty string")
    return obj


@dataclass(frozen=True)
class BatchWrite:
    """A batch endpoint: ``apply`` each object of ``body[list_key]``.

    ``apply`` validates its object completely before changing the store and
    raises :class:`ObjectRejected` to fail it. The answer lists the results
    under ``done_key`` and the failures under ``failed_key``, each named as the
    call's :class:`~.dialect.Dialect` says.
    """

    list_key: str
    apply: Apply
    failure_keys: tuple[str, ...]
    done_key: str
    failed_key: str
    message: str
    status: int = 200

    def __call__(self, call: ApiCall) -> Reply:
        done: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        entry = named_by_identifier if call.dialect.failure_key == "identifier" else failure
        for obj in call.objects(self.list_key):
            try:
                call.check_not_rejected(obj, self.failure_keys)
                done.append(self.apply(call.state, obj))
            except ObjectRejected as error:
                failed.append(entry(obj, self.failure_keys, str(error)))
        reply = success(self.message, self.status)
        reply.body[self.done_key] = done
        reply.body[self.failed_key] = failed
        return reply

    def route(self, path: str) -> Route:
        return Route("POST", path, self, self.list_key)


def creates(list_key: str, apply: Apply, failure_key: str, noun: str) -> BatchWrite:
    return BatchWrite(
        list_key, apply, (failure_key,), list_key, "failed_to_create", f"{noun} created", 201
    )


def updates(list_key: str, apply: Apply, failure_key: str, noun: str) -> BatchWrite:
    return BatchWrite(
        list_key, apply, (failure_key,), list_key, "failed_to_update", f"{noun} updated"
    )


def deletes(list_key: str, apply: Apply, failure_key: str, done_key: str, noun: str) -> BatchWrite:
    return BatchWrite(
        list_key, apply, (failure_key,), done_key, "failed_to_delete", f"{noun} deleted"
    )
