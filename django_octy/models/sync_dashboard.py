"""The admin dashboard's place in the admin: no table, no permission of its own."""

from __future__ import annotations

from .push_log import PushLog


class SyncDashboard(PushLog):
    """A proxy of :class:`PushLog` so that the admin home and sidebar list the dashboard.

    Seeing it needs the push log's view permission.
    """

    class Meta:
        proxy = True
        verbose_name = verbose_name_plural = "sync dashboard"
        default_permissions = ()
