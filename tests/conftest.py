"""Plugins of the whole suite: the secret watch reads everything the run produces."""

pytest_plugins = ["tests.secrets_watch"]
