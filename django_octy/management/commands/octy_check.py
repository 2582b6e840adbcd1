"""``manage.py octy_check``: are the settings usable, and does Octy accept the keys?"""

from __future__ import annotations

from typing import Any

from django.core.checks import ERROR, CheckMessage, run_checks
from django.core.management.base import BaseCommand, CommandError

from ...checks import MISSING_KEYS_WARNING, check_alarms, key_errors
from ...conf import settings
from ...keycheck import check_keys

EXIT_PROBLEM = 1


class Command(BaseCommand):
    help = (
        "Check the OCTY settings and ask Octy whether it accepts the keys (one request to "
        "/v1/account/authenticate). Exits 1 and says what is wrong when anything is."
    )
    requires_system_checks = ()  # it runs them itself, to explain them instead of failing

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Octy API: {settings.BASE_URL}")
        self.stdout.write(f"Public key: {settings.PUBLIC_KEY or '(not set)'}")
        self.stdout.write(f"Secret key: {'set (hidden)' if settings.SECRET_KEY else '(not set)'}")
        # Missing keys are errors here (W007 says the same as a warning elsewhere).
        others = [m for m in run_checks(tags=["django_octy"]) if m.id != MISSING_KEYS_WARNING]
        messages = [*key_errors(), *others, *check_alarms(databases=["default"])]
        for message in messages:
            self.stdout.write(self.describe(message))
        errors = [m for m in messages if m.level >= ERROR]
        if errors:
            raise CommandError(
                f"{len(errors)} setting problems: fix them before Octy can be reached.",
                returncode=EXIT_PROBLEM,
            )
        result = check_keys()
        if not result.valid:
            raise CommandError(result.message, returncode=EXIT_PROBLEM)
        self.stdout.write(self.style.SUCCESS(result.message))

    def describe(self, message: CheckMessage) -> str:
        style = self.style.ERROR if message.level >= ERROR else self.style.WARNING
        hint = f"\n    {message.hint}" if message.hint else ""
        return style(f"{message.id}: {message.msg}") + hint
