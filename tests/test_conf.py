from django.test import override_settings

from django_octy.conf import settings


def test_defaults_apply_when_not_configured():
    with override_settings(OCTY={}):
        assert settings.BATCH_SIZE == 500
        assert settings.BASE_URL == "https://api.octy.ai"


def test_configured_value_wins_over_environment(monkeypatch):
    monkeypatch.setenv("OCTY_PUBLIC_KEY", "pk_from_env")
    with override_settings(OCTY={"PUBLIC_KEY": "pk_from_settings"}):
        assert settings.PUBLIC_KEY == "pk_from_settings"
    with override_settings(OCTY={}):
        assert settings.PUBLIC_KEY == "pk_from_env"


def test_as_dict_masks_secrets():
    secrets = {"SECRET_KEY": "sk_live_abc", "WEBHOOK_SECRET": "whsec", "METRICS_TOKEN": "mtok"}
    with override_settings(OCTY=secrets):
        shown = settings.as_dict()
    for secret in secrets.values():
        assert secret not in repr(shown)
    assert shown["METRICS_TOKEN"] == "********"
    assert shown["SECRET_KEY"] == "********"
