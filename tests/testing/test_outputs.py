"""What Octy computes: recommendations, message content, churn report; configurations."""

from __future__ import annotations

from typing import Any

from django_octy.testing import FakeOcty

from .conftest import Api, assert_octy_error

RECOMMEND = "/v1/retention/recommendations"
GENERATE = "/v1/retention/messaging/content/generate"
CHURN = "/v1/retention/churn_prediction/report"
ALGORITHMS = "/v1/configurations/retention/algorithms"


def _recommended(api: Api, *profile_ids: str) -> list[dict[str, Any]]:
    response = api.post(RECOMMEND, {"profile_ids": list(profile_ids)})
    assert response.status_code == 200
    assert response.json()["model_meta_data"]["recommender_event_type"] == "charged"
    return list(response.json()["recommendations"])


def test_recommendations_are_deterministic_and_skip_bought_items(api: Api) -> None:
    api.create_items(*(f"item-{n}" for n in range(15)))
    ids = api.create_profiles("c1")
    api.charge(ids["c1"], "item-3")
    [first] = _recommended(api, ids["c1"])
    [again] = _recommended(api, ids["c1"])
    assert first == again and first["error"] is None
    items = [r["item_id"] for r in first["recommendations"]]
    scores = [r["score"] for r in first["recommendations"]]
    assert len(items) == 10 and "item-3" not in items
    assert scores == sorted(scores, reverse=True) and all(0 <= s < 1 for s in scores)


def test_recommendations_scores_do_not_depend_on_the_server(api: Api) -> None:
    with FakeOcty() as other:
        other_api = Api(other)
        for server in (api, other_api):
            server.create_items("a", "b", "c")
        assert api.octy.recommendations_for("profile_fixed") == other.recommendations_for(
            "profile_fixed"
        )


def test_recommendations_follow_the_rec_configuration(api: Api) -> None:
    api.create_items("a", "b", "c")
    ids = api.create_profiles("c1")
    api.charge(ids["c1"], "a")
    config = {
        "algorithm_name": "rec",
        "configurations": {"recommend_interacted_items": True, "item_id_stop_list": ["b"]},
    }
    assert api.post(ALGORITHMS + "/set", config).status_code == 200
    [result] = _recommended(api, ids["c1"])
    assert sorted(r["item_id"] for r in result["recommendations"]) == ["a", "c"]


def test_set_recommendations_overrides_and_unknown_profiles_carry_an_error(api: Api) -> None:
    ids = api.create_profiles("c1")
    api.octy.set_recommendations(ids["c1"], [("tent", 0.9), ("jeans", 0.4)])
    known, unknown = _recommended(api, ids["c1"], "profile_nope")
    assert known["recommendations"] == [
        {"item_id": "tent", "score": 0.9},
        {"item_id": "jeans", "score": 0.4},
    ]
    assert unknown == {
        "profile_id": "profile_nope",
        "recommendations": [],
        "error": "No profile found with profile_id 'profile_nope'",
    }


def _template(api: Api, **fields: Any) -> str:
    template = {
        "friendly_name": "Greeting",
        "template_type": "email",
        "title": "Deals for {first_name}",
        "content": "Hi {first_name}, {greeting}! Try {ITEM_REC}.",
        "default_values": {"first_name": "there", "greeting": "my friend"},
        **fields,
    }
    response = api.post("/v1/retention/messaging/templates/create", {"templates": [template]})
    return str(response.json()["templates"][0]["template_id"])


def test_message_content_fills_data_then_defaults_then_recommendations(api: Api) -> None:
    ids = api.create_profiles("c1", "c2")
    api.create_items("tent")
    api.octy.set_recommendations(ids["c1"], [("tent", 0.9)])
    api.octy.set_recommendations(ids["c2"], [])
    template_id = _template(api)
    body = {
        "messages": [
            {
                "template_id": template_id,
                "item_recommendation": True,
                "data": [
                    {"profile_id": ids["c1"], "first_name": "Ada"},
                    {"profile_id": ids["c2"]},
                    {"profile_id": "profile_nope"},
                ],
            },
            {"template_id": "template_nope", "item_recommendation": False, "data": [{}]},
        ]
    }
    response = api.post(GENERATE, body)
    assert response.status_code == 200
    result = response.json()
    assert result["generated_messages"] == [
        {
            "template_id": template_id,
            "friendly_name": "Greeting",
            "title": "Deals for Ada",
            "content": "Hi Ada, my friend! Try Name tent.",
        }
    ]
    assert [f["error_message"] for f in result["failed_messages"]] == [
        f"No item recommendations for profile '{ids['c2']}'",
        "No profile found with profile_id 'profile_nope'",
    ]
    assert result["failed templates"] == [
        {
            "template_id": "template_nope",
            "error_message": "No template found with template_id 'template_nope'",
        }
    ]
    assert api.post(GENERATE, body).json() == result


def test_message_without_a_value_for_a_placeholder_fails(api: Api) -> None:
    ids = api.create_profiles("c1")
    template_id = _template(api, default_values={}, required_data=["first_name", "coupon"])
    body = {
        "messages": [
            {
                "template_id": template_id,
                "item_recommendation": False,
                "data": [{"profile_id": ids["c1"], "first_name": "Ada"}],
            }
        ]
    }
    [failed] = api.post(GENERATE, body).json()["failed_messages"]
    assert failed == {
        "template_id": template_id,
        "profile_id": ids["c1"],
        "error_message": "No value for placeholder(s): ITEM_REC, coupon, greeting",
    }


def test_churn_report_follows_the_profiles(api: Api) -> None:
    api.create_profiles("c1", "c2", "c3", "c4")
    api.octy.set_profile_insights("c1", churn_probability="high")
    first = api.get(CHURN).json()["churn_prediction_report"]
    assert first["churn_data"]["current_churn_percentage"] == 25.0
    assert first["churn_data"]["churn_direction_indication"] == "no change"
    features = first["churn_data"]["features_of_importance"]
    assert abs(sum(f["feature_importance"] for f in features) - 1) < 0.001
    api.octy.set_profile_insights("c2", churn_probability="high")
    second = api.get(CHURN).json()["churn_prediction_report"]["churn_data"]
    assert second["current_churn_percentage"] == 50.0
    assert second["churn_direction_indication"] == "increase"
    assert second["churn_percentage_difference"] == 25.0


def test_churn_features_come_from_the_churn_configuration(api: Api) -> None:
    config = {
        "algorithm_name": "churn",
        "configurations": {"profile_features": ["visits", "balance"]},
    }
    api.post(ALGORITHMS + "/set", config)
    report = api.get(CHURN).json()["churn_prediction_report"]
    names = [f["feature_name"] for f in report["churn_data"]["features_of_importance"]]
    assert names == ["visits", "balance"]
    assert report["training_job_data"]["training_job_id"].startswith("training_job_")


def test_account_configuration_is_stored_and_returned(api: Api) -> None:
    assert api.get("/v1/configurations/account").json()["account_data"]["webhook_url"] == ""
    data = {
        "contact_name": "Ben",
        "contact_surname": "Goodenough",
        "contact_email_address": "support@example.com",
        "webhook_url": "https://example.com/octy/webhook",
        "authenticated_id_key": "shop-id-key",
    }
    assert api.post("/v1/configurations/account/set", data).json()["account_data"] == data
    assert api.get("/v1/configurations/account").json()["account_data"] == data
    assert api.octy.account_config == data
    error = assert_octy_error(api.post("/v1/configurations/account/set", {"webhook": "x"}), 400)
    assert error["errors"][0]["error_message"] == "Unknown account configuration field(s): webhook"


def test_algorithm_configurations_are_stored_one_per_request(api: Api) -> None:
    """The stop list is set as plain ids and read back as ``[{"item_id": ...}]``
    (``Octy-ai/octy-cli``, ``internal/adapters/secondary/rest/models/configs.go``)."""
    rec = {
        "algorithm_name": "rec",
        "configurations": {
            "recommend_interacted_items": True,
            "item_id_stop_list": ["product-1234"],
            "profile_features": ["visits", "balance"],
        },
    }
    assert api.post(ALGORITHMS + "/set", rec).status_code == 200
    listed = {
        c["algorithm_name"]: c["configurations"]
        for c in api.get(ALGORITHMS).json()["configurations"]
    }
    assert listed["rec"] == {
        **rec["configurations"],
        "item_id_stop_list": [{"item_id": "product-1234"}],
    }
    assert listed["churn"] == {"profile_features": []}
    assert api.octy.algorithm_configs["rec"]["item_id_stop_list"] == ["product-1234"]
    bad = {"algorithm_name": "churn", "configurations": {"item_id_stop_list": []}}
    assert_octy_error(api.post(ALGORITHMS + "/set", bad), 400)
    assert_octy_error(
        api.post(ALGORITHMS + "/set", {"algorithm_name": "segments", "configurations": {}}), 400
    )


def test_data_entries_without_a_profile_id_are_filled_from_the_defaults(api: Api) -> None:
    """Octy's own Shopify integration asks for content with ``data: [{}]``
    (``Octy-ai/octy-shopify``, ``internal/adapters/framework/secondary/rest/octy_requests.go``,
    ``GenerateContent``); recommendations still need a profile."""
    template_id = _template(api, content="Hi {first_name}, {greeting}!")
    body = {
        "messages": [
            {"template_id": template_id, "item_recommendation": False, "data": [{}]},
            {"template_id": template_id, "item_recommendation": True, "data": [{}]},
        ]
    }
    result = api.post(GENERATE, body).json()
    assert [m["content"] for m in result["generated_messages"]] == ["Hi there, my friend!"]
    assert [f["error_message"] for f in result["failed_messages"]] == [
        "Item recommendations need the data entry's 'profile_id'"
    ]
