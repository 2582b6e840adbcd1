"""Logins become ``login`` events: a Login row per successful login of a customer."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from .models import Customer, Login


def device_of(request: HttpRequest | None) -> str:
    agent = request.headers.get("User-Agent", "") if request is not None else ""
    return "mobile" if "Mobi" in agent else "desktop"


@receiver(user_logged_in, dispatch_uid="shop.record_login")
def record_login(sender: Any, request: HttpRequest | None, user: Any, **_: Any) -> None:
    customer = Customer.objects.filter(user=user).first()
    if customer is not None:
        Login.objects.create(customer=customer, device=device_of(request))
