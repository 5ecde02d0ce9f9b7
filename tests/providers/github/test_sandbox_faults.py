"""The sandbox GitHub's fault modes: each armed misbehaviour is what the next call sees, in GitHub's shape."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable

import pytest
from django.conf import settings
from django.test import Client

from providers.github.sandbox import services as github
from sandbox import faults
from sandbox import services as core
from sandbox.models import SandboxPerson

pytestmark = pytest.mark.django_db

API = "/sandbox/github-api"


@pytest.fixture
def person() -> SandboxPerson:
    core.ensure_roster()
    return SandboxPerson.objects.order_by("pk").first()  # type: ignore[return-value]


@pytest.fixture
def arm():
    yield faults.arm
    faults.clear()


def _token(person: SandboxPerson) -> str:
    return github.tokens_issue(
        person=person, client_id=settings.GITHUB_CLIENT_ID, scopes=["read:user", "user:email"],
        app_tokens=False, code=None,
    ).access.value  # fmt: skip


def _token_call(client: Client, person: SandboxPerson) -> Callable:
    redirect = "http://testserver/complete/github/"

    def call():  # type: ignore[no-untyped-def]
        code = github.code_issue(
            person=person,
            client_id=settings.GITHUB_CLIENT_ID,
            redirect_uri=redirect,
            scopes=[],
            code_challenge="",
        )
        data = {
            "client_id": settings.GITHUB_CLIENT_ID,
            "client_secret": settings.GITHUB_CLIENT_SECRET,
            "code": code.value,
            "redirect_uri": redirect,
        }
        return client.post("/sandbox/github/login/oauth/access_token", data, HTTP_ACCEPT="application/json")

    return call


def _api_call(path: str) -> Callable[[Client, SandboxPerson], Callable]:
    def setup(client: Client, person: SandboxPerson) -> Callable:
        token = _token(person)
        return lambda: client.get(f"{API}/{path}", HTTP_AUTHORIZATION=f"Bearer {token}")

    return setup


def _revoke_call(client: Client, person: SandboxPerson) -> Callable:
    def call():  # type: ignore[no-untyped-def]
        return client.generic(
            "DELETE",
            f"{API}/applications/{settings.GITHUB_CLIENT_ID}/grant",
            json.dumps({"access_token": _token(person)}),
            content_type="application/json",
            HTTP_AUTHORIZATION="Basic "
            + base64.b64encode(
                f"{settings.GITHUB_CLIENT_ID}:{settings.GITHUB_CLIENT_SECRET}".encode()
            ).decode(),
        )

    return call


CALLS: dict[str, Callable[[Client, SandboxPerson], Callable]] = {
    "token": _token_call,
    "user": _api_call("user"),
    "emails": _api_call("user/emails"),
    "following": _api_call("user/following"),
    "revoke": _revoke_call,
}
OK = {"token": 200, "user": 200, "emails": 200, "following": 200, "revoke": 204}


def test_every_endpoint_github_declares_is_exercised_here():
    assert set(CALLS) == set(faults.ENDPOINTS["github"])


@pytest.mark.parametrize("endpoint", CALLS)
def test_http_500_then_back_to_normal(client, person, arm, endpoint):
    call = CALLS[endpoint](client, person)
    arm("github", endpoint, "http_500")

    assert call().status_code == 500
    assert call().status_code == OK[endpoint]


@pytest.mark.parametrize("endpoint", CALLS)
def test_malformed_json_is_a_200_that_does_not_parse(client, person, arm, endpoint):
    call = CALLS[endpoint](client, person)
    arm("github", endpoint, "malformed_json")

    response = call()

    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError):
        json.loads(response.content)


@pytest.mark.parametrize("endpoint", ["user", "emails", "following"])
def test_rate_limited_uses_up_the_person_s_hour(client, person, arm, endpoint):
    call = CALLS[endpoint](client, person)
    arm("github", endpoint, "rate_limited")

    response = call()

    assert response.status_code == 403 and response["x-ratelimit-remaining"] == "0"
    assert int(response["x-ratelimit-reset"]) > time.time()
    assert call().status_code == 403  # until the reset, not for one call


@pytest.mark.parametrize("endpoint", ["user", "emails", "following"])
def test_secondary_limit_is_a_403_with_retry_after(client, person, arm, endpoint):
    call = CALLS[endpoint](client, person)
    arm("github", endpoint, "secondary_limit")

    response = call()

    assert response.status_code == 403 and response["retry-after"] == "60"
    assert call().status_code == 200


@pytest.mark.parametrize("endpoint", CALLS)
def test_error_body(client, person, arm, endpoint):
    call = CALLS[endpoint](client, person)
    arm("github", endpoint, "error_body")

    response = call()

    if endpoint == "token":
        assert response.status_code == 200 and response.json()["error"] == "bad_verification_code"
    else:
        assert response.status_code == 401 and response.json()["message"] == "Bad credentials"
