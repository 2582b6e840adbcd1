"""Settings of the example shop, read from environment variables with safe defaults.

- ``DATABASE_URL``: PostgreSQL (``postgres://...``) or any URL dj-database-url reads;
  default: SQLite in ``example_project/var/``.
- ``CELERY_BROKER_URL``: Redis or RabbitMQ; default: kombu's filesystem transport in
  ``example_project/var/broker/``, which needs no server.
- ``OCTY_PUBLIC_KEY``, ``OCTY_SECRET_KEY``, ``OCTY_BASE_URL``: the Octy account (read by
  django-octy itself); ``OCTY_ALLOW_INSECURE_BASE_URL=1`` for a fake Octy on http://127.0.0.1.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("SHOP_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "").lower() in ("1", "true", "yes", "on")


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-shop-insecure-key-change-me")
DEBUG = env_flag("DJANGO_DEBUG", default=True)
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_octy",
    "shop",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'shop.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web process and the Celery worker share the file: writers queue up (IMMEDIATE),
    # and readers never block them (WAL).
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "/static/"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "shop:home"
LOGOUT_REDIRECT_URL = "shop:home"

# Shared by the web process and the worker (the admin shows the worker's key check).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
    }
}

# Celery: a real broker when CELERY_BROKER_URL is set, else files on disk.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    BROKER_DIR = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "control_folder": str(BROKER_DIR / "control"),
    }
    for folder in ("queue", "control"):
        (BROKER_DIR / folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_BEAT_SCHEDULE = {
    "django-octy-sweep": {"task": "django_octy.tasks.sweep", "schedule": 60.0},
    "django-octy-pull-insights": {
        "task": "django_octy.tasks.pull",
        "schedule": 3600.0,
        "args": ("profile",),
    },
    "django-octy-prune": {"task": "django_octy.tasks.prune", "schedule": 86400.0},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# django-octy: the keys and base URL come from OCTY_PUBLIC_KEY, OCTY_SECRET_KEY and
# OCTY_BASE_URL, so that pointing the shop at another Octy account changes no code.
OCTY = {
    "ALLOW_INSECURE_BASE_URL": env_flag("OCTY_ALLOW_INSECURE_BASE_URL"),
    "FLUSH_DELAY": float(os.environ.get("OCTY_FLUSH_DELAY", "1.0")),
    "WEBHOOK_SECRET": os.environ.get("OCTY_WEBHOOK_SECRET", ""),
    # Event types, segments and message templates shaped like Octy's published samples;
    # `manage.py octy_apply` makes Octy match them.
    "DEFINITIONS": sorted(str(path) for path in (BASE_DIR / "definitions").glob("*.yaml")),
    # The front-end API's visitor is the logged-in user's Customer (the profile source).
    "VISITOR_RESOLVER": "shop.views.customer_of",
}

# The Octopus (Maximizer CRM) target: off unless OCTOPUS_BASE_URL is set; the demo points it
# at a fake CRM. The credentials come from OCTOPUS_DATABASE, OCTOPUS_UID and OCTOPUS_PASSWORD
# (or OCTOPUS_TOKEN).
OCTOPUS = {"ALLOW_INSECURE": env_flag("OCTOPUS_ALLOW_INSECURE")}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_octy": {"handlers": ["console"], "level": "INFO"}},
}
