"""Input of the front-end API: every error names its field."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ..definitions.replacement import being_replaced
from ..models import EventType
from .allowlist import frontend_may_post

SCALARS = (str, int, float, bool)


class EventSerializer(serializers.Serializer[Any]):
    """An event the site reports for the current visitor."""

    event_type = serializers.CharField(max_length=255)
    event_properties = serializers.DictField(required=False, default=dict)

    def validate_event_type(self, value: str) -> str:
        if not frontend_may_post(value):
            raise serializers.ValidationError(
                f"{value!r} may not be posted by the front end (OCTY['FRONTEND_EVENT_TYPES'])."
            )
        declared = EventType.objects.filter(event_type=value).first()
        removed = declared is not None and declared.deletion_requested
        if declared is None or (removed and not being_replaced(declared)):
            raise serializers.ValidationError(f"{value!r} is not a declared event type.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        declared = EventType.objects.get(event_type=attrs["event_type"]).event_properties
        properties = attrs["event_properties"]
        unknown = sorted(set(properties) - set(declared))
        if unknown:
            raise serializers.ValidationError(
                {
                    "event_properties": (
                        f"{', '.join(map(repr, unknown))} not declared for event type "
                        f"{attrs['event_type']!r} (declared: {', '.join(declared) or 'none'})."
                    )
                }
            )
        for name, value in properties.items():
            if not isinstance(value, SCALARS):
                raise serializers.ValidationError(
                    {"event_properties": f"{name!r} must be a string, a number or a boolean."}
                )
        return attrs


class RecommendationsQuery(serializers.Serializer[Any]):
    limit = serializers.IntegerField(min_value=1, max_value=100, default=10)


class RecommendationItem(serializers.Serializer[Any]):
    item_id = serializers.CharField()
    item_name = serializers.CharField()
    item_category = serializers.CharField()
    item_price = serializers.IntegerField(help_text="In minor units: 2000 is 20.00.")
    score = serializers.FloatField()


class RecommendationList(serializers.Serializer[Any]):
    items = RecommendationItem(many=True, help_text="Best first.")


class ContentQuery(serializers.Serializer[Any]):
    sections = serializers.CharField(
        help_text="Comma-separated section names (a template's metadata 'section', "
        "else its template_type)."
    )

    def validate_sections(self, value: str) -> list[str]:
        names = [name.strip() for name in value.split(",") if name.strip()]
        if not names:
            raise serializers.ValidationError("Name at least one section.")
        return names


class SectionContent(serializers.Serializer[Any]):
    template = serializers.CharField(help_text="The template's friendly name.")
    title = serializers.CharField()
    content = serializers.CharField()
    personalised = serializers.BooleanField(help_text="False: the template's default values.")


class ContentAnswer(serializers.Serializer[Any]):
    sections = serializers.DictField(
        child=SectionContent(allow_null=True), help_text="null: no template for the section."
    )
