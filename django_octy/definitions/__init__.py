"""Definitions managed from Django: event types, segments, templates and configurations.

Declared in YAML files shaped like those of Octy's own command-line client
(``kind:`` eventTypes, segments, templates, accountConfigurations,
algorithmConfigurations) or in ``OCTY["DEFINITIONS"]``, and applied with
``manage.py octy_apply``. See ``docs/definitions.md``.
"""
