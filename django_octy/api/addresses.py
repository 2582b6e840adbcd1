"""The client's address, as far as it can be trusted.

``REMOTE_ADDR`` is the peer that opened the connection. Behind a reverse
proxy that is the proxy, and the client is in ``X-Forwarded-For``, which
anyone can send: it is read only when the peer is one of
``OCTY["TRUSTED_PROXIES"]`` (addresses or networks), and then from the right,
skipping the trusted proxies, so that an address the client wrote itself is
never taken.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from ..conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def trusted_networks() -> list[Network]:
    """``OCTY["TRUSTED_PROXIES"]`` parsed; an entry that is no address is a configuration error."""
    configured = settings.TRUSTED_PROXIES
    if isinstance(configured, str):
        configured = [configured]
    networks = []
    for entry in configured or ():
        try:
            networks.append(ipaddress.ip_network(str(entry), strict=False))
        except ValueError as error:
            raise ImproperlyConfigured(
                f"OCTY['TRUSTED_PROXIES']: {entry!r} is not an IP address or network."
            ) from error
    return networks


def is_trusted(address: str, networks: Iterable[Network]) -> bool:
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in networks)


def client_address(request: HttpRequest) -> str:
    """The address of the client that sent ``request`` (see the module's docstring)."""
    peer = str(request.META.get("REMOTE_ADDR") or "")
    networks = trusted_networks()
    if not is_trusted(peer, networks):
        return peer
    header = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    forwarded = [hop.strip() for hop in header.split(",") if hop.strip()]
    for hop in reversed(forwarded):
        if not is_trusted(hop, networks):
            return hop
    return forwarded[0] if forwarded else peer
