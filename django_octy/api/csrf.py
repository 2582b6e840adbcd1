"""CSRF for every ``POST`` that relies on the session.

DRF checks the CSRF token only for users its ``SessionAuthentication``
logged in; an anonymous visitor is known by an id in their session too, so
another site could post events as them (and mint profiles) without it.
Requests a non-session authenticator (a token) identified carry no
ambient credentials and are left alone.
"""

from __future__ import annotations

from rest_framework.authentication import SessionAuthentication
from rest_framework.request import Request


def enforce_csrf_for_session(request: Request) -> None:
    """Raise DRF's ``PermissionDenied`` when a session-backed request lacks a valid token."""
    authenticator = request.successful_authenticator
    if authenticator is not None and not isinstance(authenticator, SessionAuthentication):
        return
    SessionAuthentication().enforce_csrf(request)
