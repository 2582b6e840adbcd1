"""The test settings with the API locked to logged-in users, as a project would configure DRF."""

from tests.settings import *  # noqa: F403

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
OCTY = {**OCTY, "WEBHOOK_SECRET": "whsec_locked"}  # noqa: F405
