"""How sync bookkeeping looks in the admin: state badges, short errors, links.

Text that comes from a service (Octy, the Octopus CRM, a webhook caller) is
escaped everywhere; the only links made of it are :func:`external_link`'s,
and only for plain ``http``/``https`` URLs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.text import Truncator

from ..models import SyncState
from ..templatetags.octy_admin import ago

if TYPE_CHECKING:
    ModelAdminBase = admin.ModelAdmin[Any]
else:  # ModelAdmin is generic for type checkers only
    ModelAdminBase = admin.ModelAdmin


class ViewOnlyAdmin(ModelAdminBase):
    """An admin for records nobody adds, changes or deletes by hand: people look."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


ERROR_PREVIEW = 60
"""Characters of an error shown in a list; the tooltip and the change page show all of it."""
TOOLTIP_LIMIT = 2000
"""Characters of a text a tooltip holds at most."""

EMPTY = "-"


def state_badge(state: str) -> SafeString:
    """The sync state as a coloured label (colours follow the admin's theme, dark included)."""
    label = SyncState(state).label if state in SyncState.values else state
    return format_html('<span class="octy-state octy-state-{}">{}</span>', state, label)


def short_text(text: str, length: int = ERROR_PREVIEW) -> SafeString | str:
    """The start of ``text``, with the whole of it in a tooltip when it is cut."""
    if not text:
        return EMPTY
    short = Truncator(text).chars(length)
    if short == text:
        return format_html('<span class="octy-prose">{}</span>', text)
    return format_html('<span class="octy-prose" title="{}">{}</span>', text[:TOOLTIP_LIMIT], short)


def long_text(text: str) -> SafeString | str:
    """A text that may break anywhere (an id, a reference), so it never widens a list."""
    return format_html('<span class="octy-text">{}</span>', text) if text else EMPTY


def time_ago(moment: datetime | None) -> SafeString | str:
    """ "5 minutes ago" (narrow in a list), with the date and time in a tooltip."""
    if moment is None:
        return EMPTY
    exact = date_format(timezone.localtime(moment), "DATETIME_FORMAT")
    return format_html('<span title="{}">{}</span>', exact, ago(moment, timezone.now()))


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


def bullet_list(entries: Iterable[object]) -> SafeString:
    """Texts as a list; anything else (a dict from an API) as compact JSON."""
    texts = (entry if isinstance(entry, str) else json.dumps(entry) for entry in entries)
    return format_html(
        '<ul class="octy-list">{}</ul>', format_html_join("", "<li>{}</li>", ((t,) for t in texts))
    )
