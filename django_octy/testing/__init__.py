"""Test helpers shipped with django-octy: fake Octy and Octopus servers and a pytest plugin.

>>> from django_octy.testing import FakeOcty
>>> with FakeOcty() as octy:
...     ...  # point the client at octy.url with octy.public_key / octy.secret_key

``FakeOctopus`` is the fake Octopus (Maximizer CRM) API. Both are imported on
first use, so that the pytest plugin in this package loads in projects that
did not install the ``testing`` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .octopus import FakeOctopus
    from .server import FakeOcty

__all__ = ["FakeOctopus", "FakeOcty"]


def __getattr__(name: str) -> Any:
    if name == "FakeOcty":
        from .server import FakeOcty

        return FakeOcty
    if name == "FakeOctopus":
        from .octopus import FakeOctopus

        return FakeOctopus
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
