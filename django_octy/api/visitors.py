"""Who the current visitor is, as Octy knows them.

``OCTY["VISITOR_RESOLVER"]`` names a function ``(request) -> customer | None``;
a customer is a host object registered with a ProfileSource, a Profile or a
customer_id. ``None`` makes the visitor anonymous: an id kept in the session
(``anon-<hex>``) is their customer_id until Octy merges them into their
authenticated profile. A visitor whose session holds no id yet (a first visit,
or a client that keeps no cookies) is known by their address only.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils.module_loading import import_string

from ..conf import settings
from ..models import Entity
from ..sync.registry import registry
from .addresses import client_address

SESSION_KEY = "octy_visitor_id"


def authenticated_user(request: HttpRequest) -> models.Model | None:
    """The default resolver: the logged-in user, if the user model is a ProfileSource."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if registry.source_for(type(user), Entity.PROFILE) is None:
        return None
    assert isinstance(user, models.Model)
    return user


def stored_id(request: HttpRequest) -> str | None:
    """The anonymous id the visitor's session holds already, if any."""
    visitor_id = request.session.get(SESSION_KEY)
    return visitor_id if isinstance(visitor_id, str) and visitor_id else None


def anonymous_id(request: HttpRequest) -> str:
    """The anonymous visitor's customer_id, kept in the session (made on first use)."""
    visitor_id = stored_id(request)
    if visitor_id is None:
        visitor_id = f"anon-{uuid.uuid4().hex}"
        request.session[SESSION_KEY] = visitor_id
    return visitor_id


def resolved_customer(request: HttpRequest) -> Any:
    """What ``OCTY["VISITOR_RESOLVER"]`` makes of the request (``None``: anonymous)."""
    return import_string(settings.VISITOR_RESOLVER)(request)


def visitor(request: HttpRequest) -> Any:
    """The current visitor as a customer (see the module's docstring)."""
    found = resolved_customer(request)
    return found if found is not None else anonymous_id(request)


def is_new_anonymous(request: HttpRequest) -> bool:
    """Whether serving the request makes a new anonymous visitor (and so a new profile)."""
    return stored_id(request) is None and resolved_customer(request) is None


def visitor_key(request: HttpRequest) -> str:
    """A stable key per visitor, for throttling: the user, the session's id, else the address."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return stored_id(request) or f"address:{client_address(request)}"
