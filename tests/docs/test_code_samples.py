"""Every code sample of README.md and docs/*.md runs (see tests/docs/samples.py)."""

from __future__ import annotations

import json
import socket
import sys
import traceback
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from django_octy.sync.registry import registry
from django_octy.testing import FakeOcty

from .samples import CHECKED, NOT_RUN, PAGES, ROOT, Block, all_blocks, blocks

EXECUTED_PAGES = [
    page
    for page in PAGES
    if any(b.language == "python" and not b.is_project_file for b in blocks(page))
]


@pytest.fixture
def empty_registry() -> Iterator[None]:
    """Each page starts with no source registered, and registers its own."""
    saved = registry.all()
    for model in {source.model for source in saved}:
        registry.unregister(model)
    yield
    for model in {source.model for source in registry.all()}:
        registry.unregister(model)
    for source in saved:
        registry.register(source.model, source)


@pytest.fixture
def shop_module(monkeypatch: pytest.MonkeyPatch) -> None:
    """Samples import the shop of the test suite as ``shop`` (``from shop.models import ...``)."""
    import tests.shop
    import tests.shop.models

    monkeypatch.setitem(sys.modules, "shop", tests.shop)
    monkeypatch.setitem(sys.modules, "shop.models", tests.shop.models)


LOOPBACK_NAMES = frozenset({"127.0.0.1", "::1", "localhost"})


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """A sample naming the real Octy fails here instead of reaching the network."""
    resolve = socket.getaddrinfo

    def loopback_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in LOOPBACK_NAMES:
            raise OSError(f"Code samples may only reach 127.0.0.1, not {host!r}")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_getaddrinfo)


def test_every_block_names_a_known_language() -> None:
    allowed = CHECKED | NOT_RUN
    unknown = [
        f"{block.name} ({block.language or 'no language'})"
        for block in all_blocks()
        if block.language not in allowed
    ]
    assert not unknown, f"Use one of {sorted(allowed)} after the fence: {unknown}"


@pytest.mark.parametrize(
    "block",
    [b for b in all_blocks() if b.language in ("json", "yaml")],
    ids=lambda block: block.name,
)
def test_data_blocks_parse(block: Block) -> None:
    if block.language == "json":
        json.loads(block.code)
    else:
        yaml.safe_load(block.code)


@pytest.mark.parametrize(
    "block",
    [b for b in all_blocks() if b.language == "python" and b.is_project_file],
    ids=lambda block: block.name,
)
def test_project_file_blocks_compile(block: Block) -> None:
    compile(block.code, block.name, "exec")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("page", EXECUTED_PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_page_samples_run(
    page: Any,
    octy_settings: FakeOcty,
    empty_registry: None,
    shop_module: None,
    loopback_only: None,
) -> None:
    namespace: dict[str, Any] = {"__name__": "docs_sample", "octy": octy_settings}
    for block in blocks(page):
        if block.language != "python" or block.is_project_file:
            continue
        try:
            exec(compile(block.code, block.name, "exec"), namespace)
        except Exception:
            pytest.fail(f"The sample at {block.name} failed:\n{traceback.format_exc()}")
