"""Address-book entries of the Octopus (Maximizer CRM) target."""

from __future__ import annotations

from django.db import models

from .base import SyncedObject, bookkeeping_indexes, source_constraint


class EntryType(models.TextChoices):
    """The AbEntry types; companies and individuals are parents, contacts belong to one."""

    COMPANY = "Company", "Company"
    INDIVIDUAL = "Individual", "Individual"
    CONTACT = "Contact", "Contact"


PARENT_TYPES = (EntryType.COMPANY, EntryType.INDIVIDUAL)


class OctopusEntry(SyncedObject):
    """One AbEntry as the CRM should hold it.

    ``octy_id`` holds the entry's stable identity (its decoded id and number):
    the ``Key`` the CRM hands out changes from one session to the next, so it
    is only cached, in ``remote``. ``data`` holds the AbEntry's own fields
    (``CompanyName``, ``FirstName``, ``LastName``, ``Email``...). A contact's
    ``parent`` is its company or individual, created first; ``reference`` is
    the host's own name for the entry, unique when set.
    """

    octy_id = models.CharField(  # noqa: DJ001 - NULL: not in the CRM yet
        "Octopus identity",
        max_length=255,
        null=True,
        blank=True,
        db_index=True,
        editable=False,
        help_text="The entry's decoded id and number, stable across sessions.",
    )
    entry_type = models.CharField(max_length=16, choices=EntryType.choices)
    # NULL, not "", for entries pulled from the CRM: unique applies to the others only.
    reference = models.CharField(max_length=255, unique=True, null=True, blank=True)
    data = models.JSONField(default=dict, blank=True, help_text="The AbEntry's own fields.")
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contacts",
        help_text="A contact's company or individual.",
    )

    class Meta:
        verbose_name = "Octopus entry"
        verbose_name_plural = "Octopus entries"
        indexes = bookkeeping_indexes("octy_abentry")
        constraints = (source_constraint("octy_abentry"),)

    def __str__(self) -> str:
        data = self.data or {}
        person = " ".join(str(data[k]) for k in ("FirstName", "LastName") if data.get(k))
        return str(data.get("CompanyName") or person or self.reference or f"entry {self.pk}")
