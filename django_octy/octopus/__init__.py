"""A plain Python client for Octopus, the JSON API of the Maximizer CRM (no Django needed).

from django_octy.octopus import OctopusClient, decode_key

with OctopusClient(base_url, database="shop", uid="crm-user", password="...") as crm:
    company = crm.create_entry({"Type": "Company", "CompanyName": "ABC Wine Shop"})
    identity = decode_key(company["Key"])  # store this, not the Key
"""

from .client import OctopusClient
from .errors import (
    OctopusAuthError,
    OctopusBatchError,
    OctopusConfigurationError,
    OctopusEntryError,
    OctopusError,
    OctopusRateLimitError,
    OctopusTransportError,
)
from .keys import EntryIdentity, decode_key

__all__ = [
    "EntryIdentity",
    "OctopusAuthError",
    "OctopusBatchError",
    "OctopusClient",
    "OctopusConfigurationError",
    "OctopusEntryError",
    "OctopusError",
    "OctopusRateLimitError",
    "OctopusTransportError",
    "decode_key",
]
