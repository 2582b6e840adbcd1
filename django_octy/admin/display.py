"""How sync bookkeeping looks in the admin: state badges, short errors, links.

Text that comes from a service (Octy, the Octopus CRM, a webhook caller) is
escaped everywhere; the only links made of it are :func:`external_link`'s,
and only for plain ``http``/``https`` URLs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import Model
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from ..models import SyncState

if TYPE_CHECKING:
    ModelAdminBase = admin.ModelAdmin[Any]
else:  # ModelAdmin is generic for type checkers only
    ModelAdminBase = admin.ModelAdmin

ERROR_PREVIEW = 80
"""Characters of an error shown in a list; the change page shows all of it."""

EMPTY = "-"


def state_badge(state: str) -> SafeString:
    """The sync state as a coloured label (colours follow the admin's theme, dark included)."""
    label = SyncState(state).label if state in SyncState.values else state
    return format_html('<span class="octy-state octy-state-{}">{}</span>', state, label)


def short_text(text: str, length: int = ERROR_PREVIEW) -> str:
    return Truncator(text).chars(length) if text else EMPTY


def admin_link(model: type[Model] | Model, pk: object, text: object) -> SafeString | str:
    """A link to an object's change page (no query: the object may be gone)."""
    meta = model._meta
    try:
        url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[pk])
    except NoReverseMatch:
        return str(text)
    return format_html('<a href="{}">{}</a>', url, text)


WEB_URL = re.compile(r"https?://[^\s/?#]+[^\s]*", re.IGNORECASE | re.ASCII)
"""An ``http(s)`` URL with a host and nothing a browser would strip (spaces, tabs, controls)."""


def is_web_url(url: str) -> bool:
    return WEB_URL.fullmatch(url) is not None and url.isprintable()


def external_link(url: str, text: str) -> SafeString | str:
    """A link that opens ``url`` in a new tab: only an http(s) URL; anything else is shown
    as text (a ``javascript:`` or ``data:`` URL must never be clickable)."""
    if not url:
        return EMPTY
    if not is_web_url(url):
        return url
    return format_html('<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>', url, text)
