"""What the client tests saw: every log record and every caught client error.

The secret-key audit (``test_secrets.py``) reads it at the end of the run.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

import pytest

from django_octy.client import OctyError

E = TypeVar("E", bound=OctyError)


class Evidence:
    def __init__(self) -> None:
        self.texts: list[str] = []
        self.secrets: set[str] = set()
        self.errors = 0
        self.records = 0

    def add_secret(self, public_key: str, secret_key: str) -> None:
        """Watch for the secret, and for the Basic credentials that carry it."""
        self.secrets.add(secret_key)
        self.secrets.add(base64.b64encode(f"{public_key}:{secret_key}".encode()).decode())

    def add_error(self, error: BaseException) -> None:
        self.errors += 1
        chain: list[BaseException] = []
        seen: BaseException | None = error
        while seen is not None and seen not in chain:
            chain.append(seen)
            self.texts += [str(seen), repr(seen), repr(vars(seen))]
            seen = seen.__cause__ or seen.__context__

    def add_records(self, records: list[logging.LogRecord]) -> None:
        formatter = logging.Formatter()
        for record in records:
            self.records += 1
            self.texts += [formatter.format(record), repr(record.args), repr(vars(record))]

    def leaks(self) -> list[str]:
        return [text for text in self.texts for secret in self.secrets if secret in text]


EVIDENCE = Evidence()


@contextmanager
def raises(expected: type[E]) -> Iterator[pytest.ExceptionInfo[E]]:
    """``pytest.raises`` that also hands the error to the secret-key audit."""
    with pytest.raises(expected) as info:
        yield info
    EVIDENCE.add_error(info.value)
