"""Erasure: a customer's personal data leaves every target and the mirror.

Whenever a service confirms the delete of a profile (the host object was
deleted, its source's ``should_sync`` said no, or :func:`erase` asked), the
flush calls :func:`confirm_deletes` in the transaction that records the
confirmation: the profile's personal fields are emptied, its events'
properties too (events Octy never had are dropped), and the error-log rows
about them go. An Octopus entry's fields are emptied the same way.

:func:`erase` asks every target at once and empties the mirror without
waiting; the :class:`~django_octy.models.Erasure` row it leaves holds no
personal data, only when each service confirmed.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from typing import Any

from django.conf import settings as django_settings
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import (
    Entity,
    Erasure,
    Event,
    OctopusEntry,
    Profile,
    SyncedObject,
    SyncError,
    SyncState,
)
from .sync.folding import fold_changes
from .sync.pending import changed
from .sync.recording import source_ref
from .sync.scheduling import request_flush

PROFILE_SCRUB: dict[str, Any] = {
    "profile_data": {},
    "platform_info": {},
    "remote": {},
    "segment_tags": [],
    "churn_probability": "",
    "rfm_score": None,
    "last_error": "",
}
EVENT_SCRUB: dict[str, Any] = {"event_properties": {}, "remote": {}, "last_error": ""}
ENTRY_SCRUB: dict[str, Any] = {"data": {}, "remote": {}, "last_error": ""}


def subject_of(customer: models.Model | str) -> str:
    """The keyed hash an :class:`Erasure` knows ``customer`` by (keyed with Django's SECRET_KEY).

    A host object is hashed as ``<app.model>:<pk>``; a Profile or a customer_id
    as ``profile:<customer_id>``.
    """
    if isinstance(customer, Profile):
        name = f"profile:{customer.customer_id}"
    elif isinstance(customer, str):
        name = f"profile:{customer}"
    else:
        name = f"{customer._meta.label_lower}:{customer.pk}"
    key = str(django_settings.SECRET_KEY).encode()
    return hmac.new(key, name.encode(), hashlib.sha256).hexdigest()


def scrub_profiles(pks: Iterable[int]) -> None:
    """Empty the personal fields of these profiles and of their events; drop what Octy
    never had of their events, and the error-log rows about them."""
    pks = list(pks)
    Profile.objects.filter(pk__in=pks).update(**PROFILE_SCRUB)
    events = Event.objects.filter(profile_id__in=pks)
    SyncError.objects.filter(entity=Entity.EVENT, row_id__in=events.values("pk")).delete()
    SyncError.objects.filter(entity=Entity.PROFILE, row_id__in=pks).delete()
    never_sent(events).delete()
    events.update(**EVENT_SCRUB)


def scrub_entries(pks: Iterable[int]) -> None:
    pks = list(pks)
    OctopusEntry.objects.filter(pk__in=pks).update(**ENTRY_SCRUB)
    SyncError.objects.filter(entity=Entity.OCTOPUS_ENTRY, row_id__in=pks).delete()


def confirm_deletes(entity: str, pks: list[int]) -> None:
    """The target confirmed the delete of these rows: scrub them, note the erasures done."""
    if not pks:
        return
    now = timezone.now()
    if entity == Entity.PROFILE:
        scrub_profiles(pks)
        waiting = Erasure.objects.filter(profile_row__in=pks, octy_confirmed_at__isnull=True)
        waiting.update(octy_confirmed_at=now)
    elif entity == Entity.OCTOPUS_ENTRY:
        scrub_entries(pks)
        waiting = Erasure.objects.filter(octopus_row__in=pks, octopus_confirmed_at__isnull=True)
        waiting.update(octopus_confirmed_at=now)


def never_sent(rows: QuerySet[Any]) -> QuerySet[Any]:
    """Rows the target never had, and no flush holds: they can simply go."""
    return rows.filter(octy_id__isnull=True, lease_token__isnull=True)


def erase(customer: models.Model | str) -> Erasure:
    """Delete ``customer`` from every target and empty their mirror rows now.

    ``customer`` is a host object (registered with a ProfileSource and maybe an
    OctopusEntrySource), a :class:`~django_octy.models.Profile` or a
    customer_id. Profiles Octy merged into theirs go too. Rows a target has
    are deleted from it by the next flush; the returned :class:`Erasure`
    records when each target confirmed. Delete (or anonymise) the host object
    in the same transaction, or its next save sends it again.

    The changes waiting in the log are mapped first, so that what was saved
    before the call is erased with the rest: mapped by a later flush, the
    customer's own change, or an order of theirs, would map them again.
    """
    fold_changes()
    with transaction.atomic():
        profiles = profiles_of(customer)
        entries = entries_of(customer)
        main_profile, main_entry = profiles.first(), entries.first()
        profile_pks = list(
            Profile.objects.filter(Q(pk__in=profiles) | Q(parent__in=profiles)).values_list(
                "pk", flat=True
            )
        )
        scrub_profiles(profile_pks)
        scrub_entries(entries.values_list("pk", flat=True))
        now = timezone.now()
        octy_done = remove(Profile.objects.filter(pk__in=profile_pks), main_profile)
        octopus_done = remove(entries, main_entry)
        return Erasure.objects.create(
            subject=subject_of(customer),
            profile_row=main_profile.pk if main_profile else None,
            octy_confirmed_at=now if main_profile and octy_done else None,
            octopus_row=main_entry.pk if main_entry else None,
            octopus_confirmed_at=now if main_entry and octopus_done else None,
        )


def remove(rows: QuerySet[Any], main: SyncedObject | None) -> bool:
    """Delete the rows no target has, queue the others' delete; whether ``main`` is gone."""
    gone = set(never_sent(rows).values_list("pk", flat=True))
    rows.filter(pk__in=gone).delete()
    queued = rows.exclude(state=SyncState.DELETED).update(**changed(SyncState.DELETE_PENDING))
    if queued:
        request_flush()
    return main is None or main.pk in gone or main.state == SyncState.DELETED


def profiles_of(customer: models.Model | str) -> QuerySet[Profile]:
    if isinstance(customer, Profile):
        return Profile.objects.filter(pk=customer.pk)
    if isinstance(customer, str):
        return Profile.objects.filter(customer_id=customer)
    return Profile.objects.filter(**source_ref(customer))


def entries_of(customer: models.Model | str) -> QuerySet[OctopusEntry]:
    if isinstance(customer, models.Model) and not isinstance(customer, Profile):
        return OctopusEntry.objects.filter(**source_ref(customer))
    return OctopusEntry.objects.none()
