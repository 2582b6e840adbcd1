"""The pooled HTTP session of a client, one per process."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Generic, Self, TypeVar

import requests
from requests.adapters import HTTPAdapter

T = TypeVar("T")


def pooled_session(pool_maxsize: int = 10) -> requests.Session:
    """A session keeping up to ``pool_maxsize`` connections alive to one host."""
    session = requests.Session()
    # Retries are the client's (with backoff and Retry-After); urllib3's would hide them.
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_maxsize, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


class PerProcess(Generic[T]):
    """A value built on first use in each process: a forked child builds its own.

    Sockets must not be shared across a fork. The value is swapped in as one
    object, so threads never see half of a new one.
    """

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._owner: tuple[int, T] | None = None

    def get(self) -> T:
        owner = self._owner
        if owner is None or owner[0] != os.getpid():
            owner = (os.getpid(), self._build())
            self._owner = owner
        return owner[1]

    def discard(self) -> T | None:
        """Forget the value (the next :meth:`get` builds a new one); returns it if there was one."""
        owner, self._owner = self._owner, None
        return None if owner is None else owner[1]


class ClosedOnExit:
    """``with client:`` closes the client's own connection pool on the way out."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
