"""The one log line per request attempt that every client writes."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any


def log_attempt(
    logger: logging.Logger,
    request: str,
    outcome: str,
    duration: float,
    error: BaseException | None,
    facts: Mapping[str, Any],
) -> None:
    """DEBUG when the attempt succeeded, WARNING with the error when not.

    ``facts`` become attributes of the record, for handlers that filter or
    count. Callers pass neither bodies nor credentials.
    """
    logger.log(
        logging.DEBUG if error is None else logging.WARNING,
        "%s -> %s in %.3fs%s",
        request,
        outcome,
        duration,
        f": {error}" if error is not None else "",
        extra=dict(facts),
    )
