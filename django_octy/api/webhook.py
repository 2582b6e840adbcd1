"""The endpoint Octy's account webhook posts to.

The caller proves itself with the shared secret ``OCTY["WEBHOOK_SECRET"]``,
sent in the ``X-Octy-Webhook-Secret`` header or, since Octy's account setting
holds only a URL, as the ``token`` query parameter of that URL. It is
compared in constant time. Without a configured secret every call is refused.
A body over ``OCTY["WEBHOOK_MAX_BYTES"]`` is refused with ``413`` and not stored.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..conf import settings
from ..webhooks import receive

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Octy-Webhook-Secret"  # noqa: S105 - a header name
SECRET_PARAMETER = "token"  # noqa: S105 - a parameter name
PRIVATE_HEADERS = frozenset({"authorization", "cookie", SECRET_HEADER.lower()})


def refusal(request: Request) -> Response | None:
    """A 401/403 answer unless the caller sent the shared secret; ``None`` when it did."""
    expected = str(settings.WEBHOOK_SECRET or "")
    given = request.headers.get(SECRET_HEADER) or request.query_params.get(SECRET_PARAMETER)
    caller = request.META.get("REMOTE_ADDR")
    if not expected:
        logger.error(
            "Refused an Octy webhook call from %s: OCTY['WEBHOOK_SECRET'] is not set.", caller
        )
        return Response({"detail": "The webhook is not configured."}, status.HTTP_403_FORBIDDEN)
    if not given:
        logger.warning("Refused an Octy webhook call from %s: no secret.", caller)
        return Response(
            {"detail": "Authentication credentials were not provided."},
            status.HTTP_401_UNAUTHORIZED,
            headers={"WWW-Authenticate": SECRET_HEADER},
        )
    if not hmac.compare_digest(given.encode(), expected.encode()):
        logger.warning("Refused an Octy webhook call from %s: wrong secret.", caller)
        return Response({"detail": "Invalid webhook secret."}, status.HTTP_403_FORBIDDEN)
    return None


def body_within_limit(request: Request) -> bytes | None:
    """The request body, or ``None`` when it is larger than ``OCTY["WEBHOOK_MAX_BYTES"]``."""
    limit = int(settings.WEBHOOK_MAX_BYTES)
    try:
        announced = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        announced = 0
    if announced > limit:
        return None
    try:
        body = request.body
    except RequestDataTooBig:  # Django's DATA_UPLOAD_MAX_MEMORY_SIZE is the lower limit
        return None
    return body if len(body) <= limit else None


class WebhookView(APIView):
    """Store Octy's notification, then announce it; any shape is acknowledged."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()

    def post(self, request: Request) -> Response:
        refused = refusal(request)
        if refused is not None:
            return refused
        body = body_within_limit(request)
        if body is None:
            logger.warning(
                "Refused an Octy webhook call from %s: the body is over %s bytes.",
                request.META.get("REMOTE_ADDR"),
                settings.WEBHOOK_MAX_BYTES,
            )
            detail = f"The body is larger than {settings.WEBHOOK_MAX_BYTES} bytes."
            return Response({"detail": detail}, status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in PRIVATE_HEADERS}
        delivery = receive(body, headers, request.META.get("REMOTE_ADDR"))
        answer: dict[str, Any] = {"id": delivery.pk, "status": delivery.status}
        return Response(answer, status=status.HTTP_200_OK)
