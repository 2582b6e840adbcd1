"""The endpoint Octy's account webhook posts to.

The caller proves itself with the shared secret ``OCTY["WEBHOOK_SECRET"]``,
sent in the ``X-Octy-Webhook-Secret`` header or, since Octy's account setting
holds only a URL, as the ``token`` query parameter of that URL. It is
compared in constant time. Without a configured secret every call is refused.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

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


class WebhookView(APIView):
    """Store Octy's notification, then announce it; any shape is acknowledged."""

    authentication_classes = ()
    permission_classes = (AllowAny,)
    throttle_classes = ()

    def post(self, request: Request) -> Response:
        refused = refusal(request)
        if refused is not None:
            return refused
        headers = {k: v for k, v in request.headers.items() if k.lower() not in PRIVATE_HEADERS}
        delivery = receive(request.body, headers, request.META.get("REMOTE_ADDR"))
        body: dict[str, Any] = {"id": delivery.pk, "status": delivery.status}
        return Response(body, status=status.HTTP_200_OK)
