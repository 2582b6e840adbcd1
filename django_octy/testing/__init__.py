"""Test helpers shipped with django-octy: fake Octy and Octopus servers and a pytest plugin.

>>> from django_octy.testing import FakeOcty
>>> with FakeOcty() as octy:
...     ...  # point the client at octy.url with octy.public_key / octy.secret_key

``FakeOctopus`` is the fake Octopus (Maximizer CRM) API. Both are imported on
first use, so that the pytest plugin in this package loads in projects that
did not install the ``testing`` extra.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .octopus import FakeOctopus
    from .server import FakeOcty

__all__ = ["FakeOctopus", "FakeOcty"]


NEEDS_WERKZEUG = (
    "The fake servers of django_octy.testing serve over werkzeug, which is not installed: "
    'pip install "django-octy[testing]"'
)


def __getattr__(name: str) -> Any:
    modules = {"FakeOcty": ".server", "FakeOctopus": ".octopus"}
    if name not in modules:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    try:
        module = importlib.import_module(modules[name], __name__)
    except ModuleNotFoundError as missing:
        if (missing.name or "").partition(".")[0] != "werkzeug":
            raise
        raise ModuleNotFoundError(NEEDS_WERKZEUG, name=missing.name) from missing
    return getattr(module, name)
