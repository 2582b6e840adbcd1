"""Account: key check, account configuration and algorithm configurations."""

from __future__ import annotations

from typing import Any

from ..call import ApiCall, Route, apply_single
from ..responses import Reply, success
from ..state import OctyState, default_algorithm_configs
from ..validation import BOOLEAN, OBJECT, STRINGS, TEXT, ObjectRejected, Schema, one_of

ACCOUNT_PATH = "/v1/configurations/account"
ALGORITHMS_PATH = "/v1/configurations/retention/algorithms"

ACCOUNT = Schema(
    "account configuration",
    required={},
    optional=dict.fromkeys(
        (
            "contact_name",
            "contact_surname",
            "contact_email_address",
            "webhook_url",
            "authenticated_id_key",
        ),
        TEXT,
    ),
)
ALGORITHM = Schema(
    "algorithm configuration",
    required={"algorithm_name": one_of("churn", "rec"), "configurations": OBJECT},
)
CONFIGURATIONS = {
    "churn": Schema("churn configuration", required={}, optional={"profile_features": STRINGS}),
    "rec": Schema(
        "rec configuration",
        required={},
        optional={
            "profile_features": STRINGS,
            "recommend_interacted_items": BOOLEAN,
            "item_id_stop_list": STRINGS,
        },
    ),
}


def authenticate(call: ApiCall) -> Reply:
    return success("Authenticated")


def read_account(call: ApiCall) -> Reply:
    return success("Account configuration", account_data=dict(call.state.account_config))


def _set_account(state: OctyState, body: dict[str, Any]) -> dict[str, Any]:
    ACCOUNT.check(body)
    state.account_config.update({k: v for k, v in body.items() if v is not None})
    return dict(state.account_config)


def set_account(call: ApiCall) -> Reply:
    account = apply_single(
        call, lambda b: _set_account(call.state, b), (), "Invalid account configuration", "account"
    )
    return success("Account configuration set", account_data=account)


def _as_read(configurations: dict[str, Any]) -> dict[str, Any]:
    """A configuration as Octy reads it back: the stop list as ``[{"item_id": ...}]``, though
    it is set as plain ids (``Octy-ai/octy-cli``, ``internal/adapters/secondary/rest/models/
    configs.go``: ``RecReqConfigurations`` sends strings, ``Configurations`` reads objects)."""
    if "item_id_stop_list" not in configurations:
        return dict(configurations)
    stop_list = [{"item_id": item_id} for item_id in configurations["item_id_stop_list"]]
    return {**configurations, "item_id_stop_list": stop_list}


def _listed(state: OctyState) -> list[dict[str, Any]]:
    return [
        {"algorithm_name": name, "configurations": _as_read(configurations)}
        for name, configurations in state.algorithm_configs.items()
    ]


def read_algorithms(call: ApiCall) -> Reply:
    return success("Algorithm configurations", configurations=_listed(call.state))


def _set_algorithm(state: OctyState, body: dict[str, Any]) -> None:
    ALGORITHM.check(body)
    name = body["algorithm_name"]
    given = CONFIGURATIONS[name].check(body["configurations"])
    if not given:
        raise ObjectRejected(f"The {name} configuration is empty")
    state.algorithm_configs[name] = {**default_algorithm_configs()[name], **given}


def set_algorithm(call: ApiCall) -> Reply:
    apply_single(
        call,
        lambda b: _set_algorithm(call.state, b),
        ("algorithm_name",),
        "Invalid algorithm configuration",
        "algorithms",
    )
    return success("Algorithm configuration set", configurations=_listed(call.state))


ROUTES = [
    Route("GET", "/v1/account/authenticate", authenticate),
    Route("GET", ACCOUNT_PATH, read_account),
    Route("POST", f"{ACCOUNT_PATH}/set", set_account),
    Route("GET", ALGORITHMS_PATH, read_algorithms),
    Route("POST", f"{ALGORITHMS_PATH}/set", set_algorithm),
]
