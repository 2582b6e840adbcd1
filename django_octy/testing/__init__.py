"""Test helpers shipped with django-octy: a fake Octy server and a pytest plugin."""
