"""Event capture, recommendations and personalised content for the current visitor.

Authentication and permissions are the host project's DRF defaults; a
``POST`` that relies on the session (an anonymous visitor's id, or a
session login) must carry the CSRF token. Nothing here waits on Octy but
the reads, which are cached (and fall back when Octy fails): events are
recorded in the database and pushed by the flush.
"""

from __future__ import annotations

import logging
from typing import Any

from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from ..client import OctyError
from ..content import content_for
from ..insights import profile_of, recommended_items
from ..sync.recording import track
from .csrf import enforce_csrf_for_session
from .schema import QuerySchema
from .serializers import (
    ContentAnswer,
    ContentQuery,
    EventSerializer,
    RecommendationList,
    RecommendationsQuery,
)
from .throttling import AnonymousProfileThrottle, ReadRateThrottle, VisitorRateThrottle
from .visitors import visitor

logger = logging.getLogger(__name__)


class EventView(GenericAPIView[Any]):
    """Record an event of the current visitor; it reaches Octy with the next flush."""

    serializer_class = EventSerializer
    throttle_classes = (VisitorRateThrottle, AnonymousProfileThrottle)

    def post(self, request: Request) -> Response:
        enforce_csrf_for_session(request)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = visitor(request)
        event = track(
            profile_of(customer) or customer,
            serializer.validated_data["event_type"],
            serializer.validated_data["event_properties"],
        )
        return Response({"id": event.pk, "status": "recorded"}, status=status.HTTP_202_ACCEPTED)


class RecommendationsView(GenericAPIView[Any]):
    """Items Octy recommends to the current visitor, best first (cached)."""

    serializer_class = RecommendationList
    query_serializer_class = RecommendationsQuery
    schema = QuerySchema()
    throttle_classes = (ReadRateThrottle,)

    def get(self, request: Request) -> Response:
        query = RecommendationsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            found = recommended_items(visitor(request), query.validated_data["limit"])
        except OctyError:
            logger.exception("Could not fetch recommendations from Octy")
            found = []
        items = [
            {
                "item_id": rec.item.item_id,
                "item_name": rec.item.item_name,
                "item_category": rec.item.item_category,
                "item_price": rec.item.item_price,
                "score": rec.score,
            }
            for rec in found
        ]
        return Response(self.get_serializer({"items": items}).data)


class ContentView(GenericAPIView[Any]):
    """Per section, the best-fitting template's content for the current visitor."""

    serializer_class = ContentAnswer
    query_serializer_class = ContentQuery
    schema = QuerySchema()
    throttle_classes = (ReadRateThrottle,)

    def get(self, request: Request) -> Response:
        query = ContentQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        sections = content_for(visitor(request), query.validated_data["sections"])
        return Response(self.get_serializer({"sections": sections}).data)
