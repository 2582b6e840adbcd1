"""Personalised content: the template that best fits a customer, rendered by Octy.

A template belongs to a *section* (``metadata["section"]``, else its
``template_type``). Its metadata may target customers:

- ``churn_pred``: the churn probability (``"high"``...),
- ``rfm_score_lower`` / ``rfm_score_upper``: an RFM score range,
- ``segment``: a segment name (or a list: any of them).

A template targets a customer when every criterion it has holds; the one
with the most criteria wins, and a template without criteria fits everyone.
Whatever goes wrong while asking Octy, the template is shown with its own
default values instead.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

from .conf import settings
from .insights import CACHE_PREFIX, Customer, cache, generate_messages, profile_of
from .models import MessageTemplate, Profile

logger = logging.getLogger(__name__)

PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_]+)\}")

Criterion = Callable[[Any, Profile], bool]


def _rfm_at_least(bound: Any, profile: Profile) -> bool:
    return profile.rfm_score is not None and profile.rfm_score >= int(bound)


def _rfm_at_most(bound: Any, profile: Profile) -> bool:
    return profile.rfm_score is not None and profile.rfm_score <= int(bound)


def _in_segment(wanted: Any, profile: Profile) -> bool:
    names = [wanted] if isinstance(wanted, str) else list(wanted)
    return any(name in profile.segment_tags for name in names)


CRITERIA: dict[str, Criterion] = {
    "churn_pred": lambda wanted, profile: profile.churn_probability == str(wanted),
    "rfm_score_lower": _rfm_at_least,
    "rfm_score_upper": _rfm_at_most,
    "segment": _in_segment,
}


def fit(template: MessageTemplate, profile: Profile | None) -> int | None:
    """How many of the template's criteria ``profile`` meets; ``None`` if one fails."""
    wanted = {k: v for k, v in (template.metadata or {}).items() if k in CRITERIA and v is not None}
    if wanted and profile is None:
        return None
    for name, value in wanted.items():
        try:
            if profile is None or not CRITERIA[name](value, profile):
                return None
        except (TypeError, ValueError):
            return None
    return len(wanted)


def section_of(template: MessageTemplate) -> str:
    return str((template.metadata or {}).get("section") or template.template_type)


def best_template(section: str, profile: Profile | None) -> MessageTemplate | None:
    """The template of ``section`` that targets ``profile`` most closely."""
    candidates = MessageTemplate.objects.filter(octy_id__isnull=False).order_by("pk")
    fitting = [
        (score, template)
        for template in candidates
        if section_of(template) == section and (score := fit(template, profile)) is not None
    ]
    return max(fitting, key=lambda pair: pair[0])[1] if fitting else None


def with_defaults(template: MessageTemplate) -> dict[str, Any]:
    """The template filled with its own default values (unknown placeholders left empty)."""

    def fill(text: str) -> str:
        return PLACEHOLDER.sub(lambda m: str(template.default_values.get(m.group(1), "")), text)

    return {
        "template": template.friendly_name,
        "title": fill(template.title),
        "content": fill(template.content),
        "personalised": False,
    }


def personalised(template: MessageTemplate, profile: Profile) -> dict[str, Any]:
    """The template rendered by Octy for ``profile`` (cached), or its defaults on any error."""
    key = f"{CACHE_PREFIX}:content:{template.octy_id}:{template.version}:{profile.octy_id}"
    found: dict[str, Any] | None = cache().get(key)
    if found is not None:
        return found
    try:
        (message,) = generate_messages(template, [profile])
    except Exception:  # any failure shows the defaults: the page must render
        logger.exception("Octy could not render template %r", template.friendly_name)
        return with_defaults(template)
    if message.error:
        logger.warning("Octy refused template %r: %s", template.friendly_name, message.error)
        return with_defaults(template)
    found = {
        "template": template.friendly_name,
        "title": message.title,
        "content": message.content,
        "personalised": True,
    }
    cache().set(key, found, settings.CACHE_TTL)
    return found


def content_for(customer: Customer | None, sections: list[str]) -> dict[str, dict[str, Any] | None]:
    """Per section, the best template's content for ``customer`` (``None``: no template)."""
    profile = profile_of(customer) if customer is not None else None
    result: dict[str, dict[str, Any] | None] = {}
    for section in sections:
        template = best_template(section, profile)
        if template is None:
            result[section] = None
        elif profile is None or not profile.octy_id:
            result[section] = with_defaults(template)
        else:
            result[section] = personalised(template, profile)
    return result
