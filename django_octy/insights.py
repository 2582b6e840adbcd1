"""What Octy computes, for Python code: querysets, recommendations, messages, churn.

Querysets read the mirror (filled by :func:`django_octy.readback.pull`);
recommendations and the churn report are fetched from Octy and cached with
Django's cache framework (``OCTY["CACHE_ALIAS"]``, ``OCTY["CACHE_TTL"]``
seconds); messages are generated on each call, 100 per request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.db import connections, models, router
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast

from .conf import settings
from .connection import get_client
from .models import Entity, Item, MessageTemplate, Profile
from .readback.merges import current_profile
from .sync.registry import registry

M = TypeVar("M", bound=models.Model)
Customer = models.Model | Profile | str
"""A customer: a host object registered with a ProfileSource, a Profile, or a customer_id."""

CACHE_PREFIX = "django_octy"


def cache() -> BaseCache:
    return caches[settings.CACHE_ALIAS]


# Querysets.


def in_segment(segment: str) -> Q:
    """Profiles whose ``segment_tags`` hold ``segment`` (on every supported database)."""
    connection = connections[router.db_for_read(Profile)]
    if connection.features.supports_json_field_contains:
        return Q(segment_tags__contains=[segment])
    # SQLite: no JSON containment lookup, but json_each(); the segment is a bound parameter.
    table = connection.ops.quote_name(Profile._meta.db_table)
    tagged = RawSQL(  # noqa: S611
        f"SELECT p.id FROM {table} p, json_each(p.segment_tags) t WHERE t.value = %s",  # noqa: S608
        (segment,),
    )
    return Q(pk__in=tagged)


def profiles(
    *,
    churn_probability: str | Sequence[str] | None = None,
    segment: str | None = None,
    rfm_min: int | None = None,
    rfm_max: int | None = None,
) -> QuerySet[Profile]:
    """Mirror profiles by what Octy computed (as of the last pull); merged-away ones left out."""
    found = Profile.objects.filter(parent__isnull=True)
    if churn_probability is not None:
        wanted = [churn_probability] if isinstance(churn_probability, str) else churn_probability
        found = found.filter(churn_probability__in=list(wanted))
    if segment is not None:
        found = found.filter(in_segment(segment))
    if rfm_min is not None:
        found = found.filter(rfm_score__gte=rfm_min)
    if rfm_max is not None:
        found = found.filter(rfm_score__lte=rfm_max)
    return found


def customers(queryset: QuerySet[M] | type[M], **criteria: Any) -> QuerySet[M]:
    """The host's own objects whose profiles match ``criteria`` (see :func:`profiles`).

    ``customers(Customer, churn_probability="high", segment="worst customers")``
    is a queryset of ``Customer``: filter, order and paginate it as usual.
    """
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    model = queryset.model
    source_type = ContentType.objects.get_for_model(model)
    pk_field = model._meta.pk
    assert pk_field is not None
    matching = (
        profiles(**criteria)
        .filter(source_type=source_type)
        .annotate(host_pk=Cast("source_id", output_field=pk_field.__class__()))
        .values("host_pk")
    )
    return queryset.filter(pk__in=matching)


# Resolving customers and items.


def profile_of(customer: Customer) -> Profile | None:
    """The profile Octy knows ``customer`` by (following merges), if it was mirrored."""
    return profiles_of([customer])[0]


def profiles_of(customers: Sequence[Customer]) -> list[Profile | None]:
    """:func:`profile_of` for many customers, with a query per kind of customer."""
    by_customer_id = Profile.objects.in_bulk(
        [c for c in customers if isinstance(c, str)], field_name="customer_id"
    )
    by_source: dict[tuple[int, str], Profile] = {}
    hosts = [c for c in customers if not isinstance(c, str | Profile)]
    for model in {type(host) for host in hosts}:
        source_type = ContentType.objects.get_for_model(model)
        ids = [str(host.pk) for host in hosts if type(host) is model]
        for row in Profile.objects.filter(source_type=source_type, source_id__in=ids):
            by_source[(source_type.pk, str(row.source_id))] = row

    def found(customer: Customer) -> Profile | None:
        if isinstance(customer, Profile):
            return customer
        if isinstance(customer, str):
            return by_customer_id.get(customer)
        source_type = ContentType.objects.get_for_model(customer)  # cached by Django
        return by_source.get((source_type.pk, str(customer.pk)))

    rows = [found(customer) for customer in customers]
    return [current_profile(row) if row is not None else None for row in rows]


def host_objects(items: Sequence[Item]) -> list[Any]:
    """The host object each item mirrors (the Item itself when it mirrors none), in order."""
    by_model: dict[int, list[str]] = {}
    for item in items:
        if item.source_type_id is not None and item.source_id is not None:
            by_model.setdefault(item.source_type_id, []).append(item.source_id)
    loaded: dict[tuple[int, str], Any] = {}
    for type_id, ids in by_model.items():
        model = ContentType.objects.get_for_id(type_id).model_class()
        if model is None or registry.source_for(model, Entity.ITEM) is None:
            continue
        for obj in model._default_manager.filter(pk__in=ids):
            loaded[(type_id, str(obj.pk))] = obj
    return [loaded.get((item.source_type_id or 0, str(item.source_id)), item) for item in items]


# Recommendations.


@dataclass(frozen=True)
class Recommendation:
    item: Item
    score: float


def recommended_items(customer: Customer, limit: int = 10) -> list[Recommendation]:
    """Octy's recommended items for ``customer``, best first, as mirror Items (cached)."""
    profile = profile_of(customer)
    if profile is None or not profile.octy_id:
        return []
    key = f"{CACHE_PREFIX}:recommendations:{profile.octy_id}"
    scored: list[tuple[str, float]] | None = cache().get(key)
    if scored is None:
        scored = fetch_recommendations(profile.octy_id)
        cache().set(key, scored, settings.CACHE_TTL)
    items = Item.objects.in_bulk([item_id for item_id, _ in scored], field_name="item_id")
    found = [Recommendation(items[i], s) for i, s in scored if i in items]
    return found[:limit]


def fetch_recommendations(profile_id: str) -> list[tuple[str, float]]:
    with get_client() as client:
        answer = client.get_recommendations([profile_id])
    pairs = [
        (str(entry["item_id"]), float(entry.get("score") or 0))
        for found in answer.by_profile
        if found.get("profile_id") == profile_id
        for entry in found.get("recommendations") or ()
        if entry.get("item_id")
    ]
    return sorted(pairs, key=lambda pair: -pair[1])


def recommendations_for(customer: Customer, limit: int = 10) -> list[Any]:
    """The host's own item objects Octy recommends to ``customer``, best score first.

    Octy's answer is cached per profile; items that are not mirrored are left out.
    """
    return host_objects([found.item for found in recommended_items(customer, limit)])


# Messages.


@dataclass(frozen=True)
class GeneratedMessage:
    """One customer's message: ``title`` and ``content``, or the ``error`` Octy gave."""

    customer: Customer
    title: str = ""
    content: str = ""
    error: str = ""


Data = Mapping[str, Any] | Callable[[Customer], Mapping[str, Any]] | None


def template_of(template: MessageTemplate | str) -> MessageTemplate:
    if isinstance(template, MessageTemplate):
        return template
    return MessageTemplate.objects.get(friendly_name=template)


def generate_messages(
    template: MessageTemplate | str,
    customers: Iterable[Customer],
    data: Data = None,
    *,
    item_recommendation: bool = False,
) -> list[GeneratedMessage]:
    """Render ``template`` (a MessageTemplate or its friendly name) for each customer.

    ``data`` fills the template's placeholders: one mapping for everybody, or
    a function of the customer. Octy gets at most 100 messages per request.
    A customer without a profile in Octy, or one Octy refused, gets ``error``.
    """
    chosen = template_of(template)
    if not chosen.octy_id:
        raise ValueError(f"Message template {chosen.friendly_name!r} is not in Octy yet.")
    results: dict[int, GeneratedMessage] = {}
    messages, sent = [], []
    customers = list(customers)
    for position, (customer, profile) in enumerate(
        zip(customers, profiles_of(customers), strict=True)
    ):
        if profile is None or not profile.octy_id:
            results[position] = GeneratedMessage(customer, error="The customer is not in Octy yet.")
            continue
        values = dict(data(customer) if callable(data) else data or {})
        entry = {**values, "profile_id": profile.octy_id}
        messages.append(
            {
                "template_id": chosen.octy_id,
                "item_recommendation": item_recommendation,
                "data": [entry],
            }
        )
        sent.append((position, customer, profile.octy_id))
    if messages:
        with get_client() as client:
            answer = client.generate_content(messages)
        refused = {str(f.raw.get("profile_id")): f.message for f in answer.failed}
        whole = next((f.message for f in answer.failed if "profile_id" not in f.raw), None)
        if whole is not None:  # Octy refused the template itself
            refused = {profile_id: whole for _, _, profile_id in sent}
        generated = iter(answer.succeeded)
        for position, customer, profile_id in sent:
            if profile_id in refused:
                results[position] = GeneratedMessage(customer, error=refused[profile_id])
            else:
                message = next(generated, {})
                results[position] = GeneratedMessage(
                    customer, str(message.get("title", "")), str(message.get("content", ""))
                )
    return [results[position] for position in sorted(results)]


# Churn.


def churn_report() -> dict[str, Any]:
    """Octy's churn prediction report (``training_job_data``, ``churn_data``), cached."""
    key = f"{CACHE_PREFIX}:churn_report"
    report: dict[str, Any] | None = cache().get(key)
    if report is None:
        with get_client() as client:
            report = client.get_churn_report()
        cache().set(key, report, settings.CACHE_TTL)
    return report
