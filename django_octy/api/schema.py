"""The OpenAPI schema of the front-end API (DRF's own generator)."""

from __future__ import annotations

from typing import Any, ClassVar

from django.urls import URLPattern
from rest_framework.renderers import JSONOpenAPIRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.schemas.openapi import AutoSchema, SchemaGenerator
from rest_framework.views import APIView


class QuerySchema(AutoSchema):
    """An :class:`AutoSchema` that also lists ``view.query_serializer_class``'s fields."""

    def get_operation(self, path: str, method: str) -> dict[str, Any]:
        operation: dict[str, Any] = super().get_operation(path, method)
        query = getattr(self.view, "query_serializer_class", None)
        if query is not None and method == "GET":
            operation["parameters"] += [
                {
                    "name": name,
                    "in": "query",
                    "required": field.required,
                    "description": str(field.help_text or ""),
                    "schema": self.map_field(field),
                }
                for name, field in query().fields.items()
            ]
        return operation

    def get_responses(self, path: str, method: str) -> dict[str, Any]:
        """The serializer describes the whole answer (DRF would wrap a GET's in a list)."""
        serializer = self.get_serializer(path, method)
        assert serializer is not None, "every view of this API names its serializer"
        schema = self.get_reference(serializer)
        content = {media_type: {"schema": schema} for media_type in self.response_media_types}
        return {"200": {"content": content, "description": ""}}


class SchemaView(APIView):
    """The OpenAPI document of ``patterns``, with paths under the prefix the API is mounted at."""

    renderer_classes = (JSONOpenAPIRenderer,)
    patterns: ClassVar[list[URLPattern]] = []

    def get(self, request: Request) -> Response:
        generator = SchemaGenerator(
            title="django-octy front-end API",
            description="Event capture, recommendations, personalised content, Octy's webhook.",
            version="1",
            patterns=self.patterns,
            url=request.path.removesuffix("schema/"),
        )
        return Response(generator.get_schema(request=request, public=True))
