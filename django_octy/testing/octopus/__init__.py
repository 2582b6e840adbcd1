"""A fake Octopus (Maximizer CRM) API for tests: ``from django_octy.testing import FakeOctopus``."""

from .server import FakeOctopus

__all__ = ["FakeOctopus"]
