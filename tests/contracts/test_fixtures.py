"""The fixtures themselves, and the shape comparer the sandbox checks rely on."""

from __future__ import annotations

import json

import pytest

from tests.contracts import HERE, every_fixture, load, shape_problems

EXPECTED = {
    "facebook/token",
    "facebook/error_190_460",
    "facebook/error_190_463",
    "facebook/me_friends",
    "facebook/debug_token",
    "google/token",
    "google/refresh",
    "google/discovery",
    "google/connections_list",
    "google/error_403_scope_insufficient",
    "google/error_403_service_disabled",
    "google/error_429",
    "google/error_400_expired_sync_token",
}


def test_every_documented_answer_has_a_fixture():
    assert EXPECTED <= set(every_fixture())


@pytest.mark.parametrize("name", every_fixture())
def test_each_fixture_names_its_page_and_how_faithful_it_is(name):
    raw = json.loads((HERE / f"{name}.json").read_text())
    provider = name.split("/")[0]
    hosts = {
        "facebook": ("developers.facebook.com",),
        "google": ("developers.google.com", "cloud.google.com"),
        "github": ("docs.github.com",),
    }
    assert any(f"https://{host}/" in raw["_source"] for host in hosts[provider]), raw["_source"]
    # verbatim: copied from the page; transcribed: the page's example, not re-fetched here; built: made
    # from the documented schema or field list (each fixture says how).
    assert raw["_example"].split(":")[0] in {"verbatim", "transcribed", "built"}
    assert isinstance(raw["status"], int)


@pytest.mark.parametrize("name", every_fixture())
def test_a_fixture_has_its_own_shape(name):
    contract = load(name)
    assert shape_problems(contract, contract.answer()) == []


def test_a_missing_required_key_is_a_departure():
    contract = load("google/refresh")
    answer = contract.answer()
    del answer["expires_in"]

    assert shape_problems(contract, answer) == ["expires_in: documented, missing"]


def test_a_missing_optional_key_is_not():
    contract = load("google/token")
    answer = contract.answer()
    del answer["refresh_token"], answer["id_token"]

    assert shape_problems(contract, answer) == []


def test_another_type_is_a_departure():
    contract = load("facebook/token")
    answer = contract.answer()
    answer["expires_in"] = "5183944"

    assert shape_problems(contract, answer) == ["expires_in: documented integer, got string '5183944'"]


def test_an_undocumented_key_is_a_departure_at_any_depth():
    contract = load("google/error_429")
    answer = contract.answer()
    answer["retry_after"] = 60
    answer["error"]["details"][0]["hint"] = "wait"

    assert shape_problems(contract, answer) == [
        "error.details[].hint: not in the documented answer",
        "retry_after: not in the documented answer",
    ]


def test_open_objects_take_any_keys_but_still_need_the_documented_ones():
    contract = load("google/error_403_scope_insufficient")
    answer = contract.answer()
    answer["error"]["details"][0]["metadata"]["extra"] = "fine"
    del answer["error"]["details"][0]["domain"]

    assert shape_problems(contract, answer) == ["error.details[].domain: documented, missing"]


def test_list_elements_are_compared_against_every_documented_element():
    contract = load("google/connections_list")
    tombstone = {"resourceName": "people/c1", "etag": "%E", "metadata": {"deleted": True}}
    full = contract.answer()["connections"][0]
    broken = {**full, "etag": 7}

    assert shape_problems(contract, {"connections": [tombstone, full]}) == []
    assert shape_problems(contract, {"connections": [broken]}) == [
        "connections[].etag: documented string, got integer 7"
    ]
