"""The front-end API (Django REST framework): mount ``django_octy.api.urls``.

See ``docs/api.md``.
"""
