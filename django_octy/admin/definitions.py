"""Admin support for definitions Octy cannot update (event types, segments).

Add :class:`ReplaceOnChangeMixin` first in the bases of their ModelAdmins:
changing a definition that is in Octy then asks for a confirmation that
explains the delete + create, and saving queues exactly that. Templates need
nothing: Octy updates them in place.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from ..definitions.replacement import needs_replacement, save_definition

CONFIRM_FIELD = "replace_in_octy"


def explanation(verbose_name: str) -> str:
    return (
        f"Octy cannot update a {verbose_name}: saving this change deletes it from Octy and "
        "creates it again with a new Octy id. Events of a replaced event type wait until it "
        "exists again. Tick “Replace in Octy” to confirm."
    )


class ReplacementConfirmationForm(forms.ModelForm):  # type: ignore[type-arg]
    """Refuses a change of a definition in Octy until the replacement is confirmed."""

    replace_in_octy = forms.BooleanField(
        required=False,
        label="Replace in Octy",
        help_text="Delete the definition from Octy and create it again with these values.",
    )

    def clean(self) -> dict[str, Any]:
        cleaned: dict[str, Any] = super().clean() or {}
        changed = set(self.changed_data) - {CONFIRM_FIELD}
        if changed and needs_replacement(self.instance) and not cleaned.get(CONFIRM_FIELD):
            label = str(self.instance._meta.verbose_name)
            raise ValidationError(explanation(label), code="replacement_not_confirmed")
        return cleaned


class ReplaceOnChangeMixin(admin.ModelAdmin):  # type: ignore[type-arg]
    """For the admins of event types and segments: confirm, then delete + create in Octy."""

    form = ReplacementConfirmationForm

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_fields(request, obj)
        if obj is None or not needs_replacement(obj):
            return [name for name in fields if name != CONFIRM_FIELD]
        return fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        save_definition(obj)
