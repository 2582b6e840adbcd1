"""Checks of a client's base URL and timeouts, and the mask that stands for a secret."""

from __future__ import annotations

from urllib.parse import urlsplit

MASKED = "********"
"""What a repr or a settings display shows in place of a secret."""

Timeout = tuple[float, float]
"""(connect, read) timeouts in seconds."""


def check_base_url(
    base_url: str,
    allow_insecure: bool,
    *,
    service: str,
    secrets: str,
    insecure_setting: str,
    error: type[Exception],
) -> str:
    """``base_url`` without its trailing slash, or ``error`` if it cannot be used safely.

    ``secrets`` names what the client sends (``"the keys"``) and ``insecure_setting``
    the setting that allows plain http (``'OCTY["ALLOW_INSECURE_BASE_URL"]'``), for
    the messages: most clients are built from settings, not by hand.
    """
    parts = urlsplit(base_url)
    # Never echo the URL itself: credentials written into it must not reach an error.
    shown = f"{parts.scheme}://{parts.hostname or ''}"
    if parts.username or parts.password:
        raise error(
            f"The {service} base URL {shown} must not contain credentials; pass {secrets} instead."
        )
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise error(f"The {service} base URL {shown} is not an http(s) URL.")
    if parts.scheme != "https" and not allow_insecure:
        raise error(
            f"The {service} base URL {shown} is not HTTPS; {secrets} would travel in clear. "
            f"For a local test server only, set {insecure_setting} = True "
            "(or pass allow_insecure=True to a client you build yourself)."
        )
    return base_url.rstrip("/")


def check_timeout(
    timeout: float | tuple[float, float], *, service: str, error: type[Exception]
) -> Timeout:
    """``(connect, read)`` from one number or a pair; both must be positive."""
    connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
    if connect <= 0 or read <= 0:
        raise error(f"The {service} timeouts must be positive, got {timeout!r}.")
    return (float(connect), float(read))
