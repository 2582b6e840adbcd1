"""The suite's secret watch: no secret in anything the whole run produces.

Loaded by ``tests/conftest.py``. Throughout the run it reads every text that
could carry a secret to someone who should not see it:

- every log record, formatted with its arguments and traceback (a handler on
  the root logger at DEBUG);
- every test report: captured stdout, stderr and log, and the failure repr;
- every HTTP response Django produces in this process (test client, API,
  admin pages, live servers): its body;
- management command output (``OutputWrapper``) and the output of commands
  run as subprocesses;
- every row of the project's error tables (sync errors, push logs, alarms,
  webhook deliveries) and mirror rows' ``last_error``, read at the end of
  each test that used the database and on each ``post_save``.

The secrets watched are the test settings' keys, every key ``OCTY`` is set to
during the run (``settings`` fixture, ``override_settings``), Django's
``SECRET_KEY``, and the secret key of every :class:`FakeOcty` (with the Basic
credentials that carry it). A fake's key is watched from its creation until
the end of the test that follows its death, so that each text is searched for
the handful of secrets in play rather than for every key the run ever made.

Each text is searched when it is produced (plain substring search) and then
dropped: memory stays bounded by the leaks found. One more test item,
``secret_audit``, is added after every selected test, whatever ``-m``/``-k``
selected, and fails listing each leak and where it came from.
"""

from __future__ import annotations

import base64
import io
import logging
import subprocess
import sys
import weakref
from collections import Counter
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.handlers.base import BaseHandler
from django.core.management.base import OutputWrapper
from django.core.signals import setting_changed
from django.db.models.signals import post_save
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from pytest_django.plugin import blocking_manager_key

from django_octy.conf import settings as octy_settings
from django_octy.models import (
    Event,
    EventType,
    Item,
    MessageTemplate,
    Profile,
    PushLog,
    Segment,
    SyncAlarm,
    SyncError,
    WebhookDelivery,
)
from django_octy.testing import FakeOcty

ERROR_MODELS = (SyncError, PushLog, SyncAlarm, WebhookDelivery)
MIRROR_MODELS = (Profile, Item, Event, EventType, Segment, MessageTemplate)
AUDIT_NAME = "secret_audit"
MAX_LEAKS_KEPT = 50
EXCERPT = 60
CANARY = "sk_canary_of_the_secret_watch"

FULL_RUN_TESTS = 500
"""A run of at least this many tests is the whole suite (or most of it)."""

FULL_RUN_MINIMUM_CHARS = 1_000_000
"""What the whole suite produces at the least: far less means a channel came unplugged."""


@dataclass(frozen=True)
class Leak:
    channel: str
    where: str
    excerpt: str

    def __str__(self) -> str:
        return f"{self.channel} in {self.where}: …{self.excerpt}…"


@dataclass
class Watch:
    """The secrets in play, and what was seen of the texts searched for them."""

    lasting: set[str] = field(default_factory=set)
    this_test: set[str] = field(default_factory=set)
    fakes: weakref.WeakSet[FakeOcty] = field(default_factory=weakref.WeakSet)
    current: str = "(collection)"
    chars: Counter[str] = field(default_factory=Counter)
    texts: Counter[str] = field(default_factory=Counter)
    leaks: list[Leak] = field(default_factory=list)
    leak_count: int = 0
    tests: int = 0

    def watch(self, *secrets: str) -> None:
        self.this_test.update(secret for secret in secrets if secret)

    def watch_fake(self, fake: FakeOcty) -> None:
        self.fakes.add(fake)
        self.watch(*credentials(fake.public_key, fake.secret_key))

    def in_play(self) -> set[str]:
        live = {secret for fake in self.fakes for secret in credentials_of(fake)}
        return self.lasting | self.this_test | live

    def start_test(self, nodeid: str) -> None:
        self.current = nodeid
        self.this_test = set()

    def see(self, channel: str, text: str) -> None:
        if not text:
            return
        self.chars[channel] += len(text)
        self.texts[channel] += 1
        for secret in self.in_play():
            start = text.find(secret)
            if start >= 0:
                self.leak(channel, text, start, secret)

    def leak(self, channel: str, text: str, start: int, secret: str) -> None:
        self.leak_count += 1
        if len(self.leaks) >= MAX_LEAKS_KEPT:
            return
        before = text[max(0, start - EXCERPT) : start]
        after = text[start + len(secret) : start + len(secret) + EXCERPT]
        masked = f"{before}<{secret[:6]}…>{after}".replace("\n", "⏎")
        self.leaks.append(Leak(channel, self.current, masked))

    @property
    def total_chars(self) -> int:
        return sum(self.chars.values())


WATCH = Watch()


def credentials(public_key: str, secret_key: str) -> tuple[str, str]:
    """The secret key, and the Basic credentials that carry it."""
    basic = base64.b64encode(f"{public_key}:{secret_key}".encode()).decode()
    return secret_key, basic


def credentials_of(fake: FakeOcty) -> tuple[str, str]:
    return credentials(fake.public_key, fake.secret_key)


def octy_secrets(octy: Any) -> list[str]:
    if not isinstance(octy, dict):
        return []
    found = [str(octy[name]) for name in octy_settings.secrets if octy.get(name)]
    if octy.get("SECRET_KEY"):
        found += credentials(str(octy.get("PUBLIC_KEY") or ""), str(octy["SECRET_KEY"]))
    return found


# The channels.


class WatchHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            WATCH.see("log record", self.format(record))
        except Exception:  # a record that cannot be formatted is still searched
            WATCH.see("log record", repr(vars(record)))


HANDLER = WatchHandler()


def attach_log_handler() -> None:
    """(Re)attach the handler: a Celery worker's logging setup clears the root handlers."""
    root = logging.getLogger()
    if HANDLER not in root.handlers:
        root.addHandler(HANDLER)
    root.setLevel(logging.DEBUG)


def wrap(owner: type[Any] | Any, name: str, after: Callable[..., None]) -> None:
    """Call ``after(result, *args, **kwargs)`` after each call of ``owner.name``."""
    original = getattr(owner, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        after(result, *args, **kwargs)
        return result

    setattr(owner, name, wrapped)


def see_response(response: Any, *_: Any, **__: Any) -> None:
    if isinstance(response, HttpResponse):
        WATCH.see("HTTP response", response.content.decode("utf-8", "replace"))


def see_command_output(_: Any, wrapper: OutputWrapper, msg: Any = "", *__: Any, **___: Any) -> None:
    WATCH.see("command output", str(msg))


def see_subprocess(result: Any, *_: Any, **__: Any) -> None:
    for output in (getattr(result, "stdout", None), getattr(result, "stderr", None)):
        if isinstance(output, bytes):
            output = output.decode("utf-8", "replace")
        if isinstance(output, str):
            WATCH.see("subprocess output", output)


def see_fake(_: None, fake: FakeOcty, *__: Any, **___: Any) -> None:
    WATCH.watch_fake(fake)


def see_saved_row(sender: type[Any], instance: Any, **_: Any) -> None:
    WATCH.see(f"{sender.__name__} row", row_text(instance))


def see_setting(setting: str, value: Any, **_: Any) -> None:
    if setting == "OCTY":
        WATCH.watch(*octy_secrets(value))


def row_text(instance: Any) -> str:
    return repr([getattr(instance, f.attname) for f in instance._meta.concrete_fields])


def see_error_tables() -> None:
    """Every error row, and every mirror row's last error, the test left in the database."""
    for model in ERROR_MODELS:
        for row in model._default_manager.iterator(chunk_size=500):
            WATCH.see(f"{model.__name__} row", row_text(row))
    for mirror in MIRROR_MODELS:
        errors = mirror._default_manager.exclude(last_error="").values_list("last_error", flat=True)
        for error in errors.iterator(chunk_size=500):
            WATCH.see(f"{mirror.__name__}.last_error", error)


def install() -> None:
    WATCH.lasting.update(octy_secrets(django_settings.OCTY))
    WATCH.lasting.add(django_settings.SECRET_KEY)
    attach_log_handler()
    wrap(BaseHandler, "get_response", see_response)
    wrap(OutputWrapper, "write", see_command_output)
    wrap(subprocess, "run", see_subprocess)
    wrap(FakeOcty, "__init__", see_fake)
    setting_changed.connect(see_setting, weak=False, dispatch_uid="tests.secrets_watch")
    for model in (*ERROR_MODELS, *MIRROR_MODELS):
        post_save.connect(see_saved_row, sender=model, weak=False, dispatch_uid=f"watch-{model}")


# pytest hooks.


def pytest_configure(config: pytest.Config) -> None:
    install()


def pytest_runtest_logstart(nodeid: str, location: tuple[str, int | None, str]) -> None:
    attach_log_handler()
    WATCH.start_test(nodeid)
    if not nodeid.endswith(AUDIT_NAME):
        WATCH.tests += 1


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    WATCH.watch(*octy_secrets(getattr(django_settings, "OCTY", None)))
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    if uses_database(item):  # before the database fixtures roll the test back
        with item.config.stash[blocking_manager_key].unblock():
            see_error_tables()
    return (yield)


def uses_database(item: pytest.Item) -> bool:
    return "_django_db_helper" in getattr(item, "fixturenames", ())


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for title, content in report.sections:
        WATCH.see(f"report section {title!r}", content)
    if report.failed:
        WATCH.see("failure report", report.longreprtext)


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(
    session: pytest.Session, items: list[pytest.Item]
) -> Generator[None, None, None]:
    """After every other plugin has ordered and selected the items: the audit goes last."""
    result = yield
    if items:
        items.append(SecretAudit.from_parent(session, name=AUDIT_NAME))
    return result


# The audit.


class SecretAudit(pytest.Item):
    """Fails when any text of the run carried a secret; proves first that the watch sees."""

    def runtest(self) -> None:
        seen = summary()
        print(seen)
        leaks = "\n".join(f"  {leak}" for leak in WATCH.leaks)
        assert WATCH.leak_count == 0, f"{WATCH.leak_count} secret leak(s), first ones:\n{leaks}"
        if WATCH.tests >= FULL_RUN_TESTS:
            assert WATCH.total_chars >= FULL_RUN_MINIMUM_CHARS, seen
        print("channels proven to be watched:", ", ".join(self.check_channels()))

    def check_channels(self) -> list[str]:
        """Send the canary secret down each channel; each must report it, once."""
        WATCH.watch(CANARY)
        probes: dict[str, Callable[[], object]] = {
            "log record": lambda: logging.getLogger(__name__).debug("%s", CANARY),
            "command output": lambda: OutputWrapper(io.StringIO()).write(CANARY),
            "subprocess output": lambda: subprocess.run(
                [sys.executable, "-c", f"print({CANARY!r})"], check=True, capture_output=True
            ),
            "SyncError row": lambda: post_save.send(
                SyncError, instance=SyncError(reason=CANARY), created=True
            ),
            # The login page repeats ``next`` in its form, and needs no database to render.
            "HTTP response": lambda: Client().get(reverse("admin:login"), {"next": f"/{CANARY}/"}),
        }
        found = []
        for channel, probe in probes.items():
            before = WATCH.leak_count
            probe()
            assert WATCH.leak_count == before + 1, f"the watch does not see {channel}s"
            found.append(channel)
            WATCH.leak_count -= 1
            WATCH.leaks.pop()
        WATCH.this_test.clear()
        return found

    def reportinfo(self) -> tuple[str, int | None, str]:
        return (__file__, None, AUDIT_NAME)


def summary() -> str:
    lines = [
        f"secret watch: {WATCH.tests} tests, {sum(WATCH.texts.values())} texts, "
        f"{WATCH.total_chars} characters searched"
    ]
    lines += [
        f"  {channel}: {WATCH.texts[channel]} texts, {chars} characters"
        for channel, chars in WATCH.chars.most_common()
    ]
    return "\n".join(lines)
