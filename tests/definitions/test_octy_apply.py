"""octy_apply: the published sample definitions, applied to the fake Octy, twice."""

from __future__ import annotations

from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from django_octy.models import EventType, MessageTemplate, Segment, SyncState
from django_octy.testing import FakeOcty

pytestmark = pytest.mark.django_db

SAMPLES = sorted(
    str(p) for p in (Path(__file__).parent.parent / "fixtures" / "octy-samples").glob("*.yaml")
)


@pytest.fixture
def octy(octy_settings: FakeOcty, settings: Any) -> FakeOcty:
    settings.OCTY = {**settings.OCTY, "MAX_RETRIES": 0}
    return octy_settings


def octy_apply(*args: str) -> str:
    out = StringIO()
    call_command("octy_apply", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_samples_are_created_in_octy_and_a_second_run_changes_nothing(octy: FakeOcty) -> None:
    first = octy_apply(*SAMPLES)

    assert "+ event type 'login': create" in first
    assert "~ account configuration: update" in first
    assert "    webhook_url: '' -> 'https://octy.ai/hook/1'" in first
    assert {"login", "logout", "watched_video", "showed_love"} <= set(octy.event_types)
    assert octy.event_types["login"]["event_properties"] == ["device", "time"]
    assert set(octy.segments) == {"fast paying customers", "worst customers"}
    assert octy.segments["worst customers"]["segment_timeframe"] == 60
    templates = {t["friendly_name"]: t for t in octy.templates.values()}
    assert set(templates) == {"Basic personalised greeting", "Website heading banner"}
    assert templates["Website heading banner"]["metadata"]["churn_pred"] == "high"
    assert octy.account_config["authenticated_id_key"] == "shop-id-key"
    assert octy.algorithm_configs["rec"]["item_id_stop_list"] == ["product-1234"]
    assert octy.algorithm_configs["churn"]["profile_features"] == ["visits", "balance"]
    assert all(
        row.state == SyncState.SYNCED
        for model in (EventType, Segment, MessageTemplate)
        for row in model.objects.all()
    )

    octy.request_log.clear()
    assert octy_apply(*SAMPLES).strip() == "No changes."
    assert all(entry.method == "GET" for entry in octy.request_log)


def test_dry_run_shows_the_changes_and_makes_none(octy: FakeOcty) -> None:
    output = octy_apply("--dry-run", *SAMPLES)
    assert "+ segment 'worst customers': create" in output
    assert "Dry run: 11 change(s) not applied." in output
    assert not EventType.objects.filter(event_type="login").exists()
    assert "login" not in octy.event_types
    assert octy.account_config["webhook_url"] == ""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "definitions.yaml"
    path.write_text(text)
    return str(path)


def test_a_changed_event_type_is_deleted_and_created_again(octy: FakeOcty, tmp_path: Path) -> None:
    octy_apply(
        write(
            tmp_path,
            (
                "kind: eventTypes\n"
                "eventTypeDefinitions:\n"
                "  - eventType: login\n"
                "    eventProperties: [device]\n"
            ),
        )
    )
    old_id = octy.event_types["login"]["event_type_id"]

    changed = write(
        tmp_path,
        (
            "kind: eventTypes\n"
            "eventTypeDefinitions:\n"
            "  - eventType: login\n"
            "    eventProperties: [device, time]\n"
        ),
    )
    output = octy_apply(changed)

    assert (
        "! event type 'login': replace (Octy cannot update it: deleted, then created again)"
        in output
    )
    assert "    event_properties: ['device'] -> ['device', 'time']" in output
    login = octy.event_types["login"]
    assert login["event_properties"] == ["device", "time"] and login["event_type_id"] != old_id
    row = EventType.objects.get(event_type="login")
    assert (row.state, row.octy_id) == (SyncState.SYNCED, login["event_type_id"])
    assert octy_apply(changed).strip() == "No changes."


def test_a_changed_template_is_updated_in_place(octy: FakeOcty, tmp_path: Path) -> None:
    doc = (
        "kind: templates\n"
        "templateDefinitions:\n"
        "  - friendlyName: Hi\n"
        "    templateType: email\n"
        "    content: {text}\n"
    )
    octy_apply(write(tmp_path, doc.format(text="Hello")))
    (template_id,) = octy.templates
    output = octy_apply(write(tmp_path, doc.format(text="Hello again")))
    assert "~ template 'Hi': update" in output
    assert octy.templates[template_id]["content"] == "Hello again"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (("kind: widgets\n"), "'kind' must be one of eventTypes, segments, templates"),
        (
            ("kind: eventTypes\neventTypeDefinitions:\n  - eventProperties: [a]\n"),
            "event type #1: 'eventType' is required",
        ),
        (
            (
                "kind: segments\n"
                "segmentDefinitions:\n"
                "  - segmentName: s\n"
                "    segmentType: soon\n"
                "    eventSequence: []\n"
            ),
            "segment #1: field 'segmentType' must be one of live, past, got 'soon'",
        ),
        (
            (
                "kind: algorithmConfigurations\n"
                "configurations:\n"
                "  - algorithmName: rec\n"
                "    configurations: {recommendInteractedItems: maybe}\n"
            ),
            "field 'recommendInteractedItems' must be true or false, got 'maybe'",
        ),
        (
            ("kind: templates\ntemplateDefinitions:\n  - friendlyName: x\n    colour: red\n"),
            "unknown key 'colour'",
        ),
    ],
)
def test_invalid_files_name_the_object_and_field(
    octy: FakeOcty, tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(CommandError) as raised:
        octy_apply(path)
    assert path in str(raised.value) and message in str(raised.value)
    assert not octy.request_log


def test_definitions_may_be_declared_in_settings(octy: FakeOcty, settings: Any) -> None:
    settings.OCTY = {
        **settings.OCTY,
        "DEFINITIONS": [
            {
                "kind": "eventTypes",
                "eventTypeDefinitions": [
                    {"eventType": "showed_love", "eventProperties": ["page_id"]}
                ],
            }
        ],
    }
    assert "+ event type 'showed_love'" in octy_apply()
    assert "showed_love" in octy.event_types


def test_a_refused_definition_fails_the_command_and_is_pushed_again_next_time(
    octy: FakeOcty, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        "kind: eventTypes\neventTypeDefinitions:\n  - eventType: login\n  - eventType: logout\n",
    )
    octy.inject("/v1/retention/events/types/create", reject={"login": "Reserved name"})

    with pytest.raises(CommandError, match=r"1 definition.*\n  Event type login: Reserved name"):
        octy_apply(path)

    assert "logout" in octy.event_types and "login" not in octy.event_types
    assert EventType.objects.get(event_type="login").last_error == "Reserved name"
    output = octy_apply(path)
    assert "? event type 'login': push again (its last push failed)" in output
    assert "login" in octy.event_types
    assert octy_apply(path).strip() == "No changes."


def test_an_item_stop_list_read_back_as_objects_is_no_change(
    octy: FakeOcty, tmp_path: Path
) -> None:
    """Octy reads the stop list back as ``[{"item_id": ...}]`` though it is set as plain ids
    (``Octy-ai/octy-cli``, ``internal/adapters/secondary/rest/models/configs.go``): applying
    the same configuration again changes nothing."""
    declared = tmp_path / "algorithms.yaml"
    declared.write_text(
        "kind: algorithmConfigurations\n"
        "configurations:\n"
        "  - algorithmName: rec\n"
        "    configurations:\n"
        "      recommendInteractedItems: false\n"
        "      itemIDStopList: [product-1234, product-5678]\n"
        "      profileFeatures: [visits]\n"
    )
    assert "~ algorithm configuration 'rec': update" in octy_apply(str(declared))
    assert octy.algorithm_configs["rec"]["item_id_stop_list"] == ["product-1234", "product-5678"]

    assert octy_apply(str(declared)).strip() == "No changes."
