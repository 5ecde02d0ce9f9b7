"""The sandbox's GitHub over HTTP: GitHub's wire formats, as its documentation gives them.

Each answer is compared with its contract fixture (tests/contracts/github/), so the emulator
cannot drift from docs.github.com whatever our clients happen to accept.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from io import StringIO
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.conf import settings
from django.core.management import call_command

from providers.github.sandbox import services as github
from providers.github.sandbox.models import SandboxFollow
from sandbox import faults, switches
from sandbox.models import SandboxPerson
from tests.contracts import load, shape_problems
from tests.login_fixtures import Browser


def assert_documented(name: str, response: requests.Response) -> None:
    contract = load(name)
    assert response.status_code == contract.status, response.text[:300]
    problems = shape_problems(contract, response.json())
    assert not problems, f"{name} departs from {contract.source}: {problems}"


@pytest.fixture
def relying_party(sandbox) -> Browser:
    return Browser(base=sandbox, session=requests.Session())


def web(path: str) -> str:
    return f"{settings.GITHUB_URL}/{path}"


def api(path: str) -> str:
    return f"{settings.GITHUB_API_URL}/{path}"


def authorize(browser: Browser, person: SandboxPerson | None, **extra: str) -> requests.Response:
    query = {
        "client_id": settings.GITHUB_CLIENT_ID,
        "redirect_uri": f"{browser.base}/complete/github/",
        "scope": "read:user user:email",
        "state": secrets.token_urlsafe(8),
        **extra,
    }
    page = browser.get(f"{web('login/oauth/authorize')}?{urlencode(query)}")
    data = {"cancel": "1"} if person is None else {"person": str(person.pk)}
    return browser.post_form(page, page.url, data, allow_redirects=False)


def code_for(browser: Browser, person: SandboxPerson, **extra: str) -> str:
    answer = authorize(browser, person, **extra)
    assert answer.status_code == 302, answer.text[:300]
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


def token_request(
    browser: Browser, code: str, *, accept_json: bool = True, **extra: str
) -> requests.Response:
    data = {
        "client_id": settings.GITHUB_CLIENT_ID,
        "client_secret": settings.GITHUB_CLIENT_SECRET,
        "code": code,
        "redirect_uri": f"{browser.base}/complete/github/",
        **extra,
    }
    headers = {"Accept": "application/json"} if accept_json else {}
    return requests.post(web("login/oauth/access_token"), data=data, headers=headers, timeout=10)


def token_for(browser: Browser, person: SandboxPerson) -> str:
    return token_request(browser, code_for(browser, person)).json()["access_token"]


def get(path: str, token: str, **headers: str) -> requests.Response:
    return requests.get(api(path), headers={"Authorization": f"Bearer {token}", **headers}, timeout=10)


def test_cancel_returns_access_denied_with_description_uri_and_state(relying_party):
    answer = authorize(relying_party, None, state="st")

    query = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert query["error"] == ["access_denied"] and query["state"] == ["st"]
    assert query["error_description"] and query["error_uri"][0].startswith("https://docs.github.com/")


def test_an_unregistered_redirect_uri_gets_a_page_never_a_redirect(relying_party):
    query = {"client_id": settings.GITHUB_CLIENT_ID, "redirect_uri": "https://evil.example/complete/github/"}

    answer = relying_party.get(f"{web('login/oauth/authorize')}?{urlencode(query)}", allow_redirects=False)

    assert answer.status_code == 400 and "Location" not in answer.headers
    assert "redirect_uri is not associated" in answer.text


def test_code_exchange_answers_as_documented_and_form_encoded_without_accept_json(relying_party, ada):
    assert_documented("github/token", token_request(relying_party, code_for(relying_party, ada)))

    form = token_request(relying_party, code_for(relying_party, ada), accept_json=False)
    assert form.headers["Content-Type"].startswith("application/x-www-form-urlencoded")
    assert parse_qs(form.text)["access_token"][0].startswith("sbx-gho_")


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"client_secret": "wrong"}, "incorrect_client_credentials"),
        ({"redirect_uri": "https://elsewhere.example/complete/github/"}, "redirect_uri_mismatch"),
        ({"code": "sbx-gh-code-unknown"}, "bad_verification_code"),
    ],
)
def test_token_errors_come_as_http_200(relying_party, ada, change, error):
    code = code_for(relying_party, ada)

    answer = token_request(relying_party, change.pop("code", code), **change)

    assert answer.status_code == 200 and answer.json()["error"] == error
    if error == "bad_verification_code":
        assert_documented("github/error_bad_verification_code", answer)


def test_pkce_s256_the_wrong_verifier_is_a_bad_code(relying_party, ada):
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    code = code_for(relying_party, ada, code_challenge=challenge, code_challenge_method="S256")
    assert (
        token_request(relying_party, code, code_verifier="x" * 50).json()["error"] == "bad_verification_code"
    )

    code = code_for(relying_party, ada, code_challenge=challenge, code_challenge_method="S256")
    assert "access_token" in token_request(relying_party, code, code_verifier=verifier).json()


def test_app_mode_issues_expiring_tokens_whose_refresh_rotates_the_pair(relying_party, ada):
    switches.turn_on("github", "app_tokens")
    first = token_request(relying_party, code_for(relying_party, ada))
    assert_documented("github/token_app", first)

    refreshed = requests.post(
        web("login/oauth/access_token"),
        data={
            "client_id": settings.GITHUB_CLIENT_ID,
            "client_secret": settings.GITHUB_CLIENT_SECRET,
            "grant_type": "refresh_token",
            "refresh_token": first.json()["refresh_token"],
        },
        headers={"Accept": "application/json"},
        timeout=10,
    )

    assert_documented("github/refresh", refreshed)
    assert get("user", first.json()["access_token"]).status_code == 401  # the old pair dies
    again = requests.post(
        web("login/oauth/access_token"),
        data={
            "client_id": settings.GITHUB_CLIENT_ID,
            "client_secret": settings.GITHUB_CLIENT_SECRET,
            "grant_type": "refresh_token",
            "refresh_token": first.json()["refresh_token"],
        },
        headers={"Accept": "application/json"},
        timeout=10,
    )
    assert again.status_code == 200 and again.json()["error"] == "bad_refresh_token"


def test_user_and_emails_answer_as_documented(relying_party, ada):
    token = token_for(relying_party, ada)

    user = get("user", token)
    assert_documented("github/user", user)
    assert user.json()["id"] == github.github_id(ada) and user.json()["email"] is None
    assert_documented("github/emails", get("user/emails", token))


def test_following_pages_by_link_with_etags_and_a_304_that_costs_nothing(relying_party, ada, grace):
    token = token_for(relying_party, ada)
    follows = list(
        SandboxFollow.objects.filter(person=ada).order_by("id").values_list("followed_id", flat=True)
    )
    assert len(follows) == 2  # the roster's small graph: each follows the next two

    first = get("user/following?per_page=1", token)
    assert_documented("github/following", first)
    assert first.json()[0]["id"] == github.github_id(SandboxPerson.objects.get(pk=follows[0]))
    assert 'rel="next"' in first.headers["Link"] and 'rel="last"' in first.headers["Link"]
    second = requests.get(
        first.headers["Link"].split(">")[0].lstrip("<"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert 'rel="next"' not in second.headers.get("Link", "")
    remaining = int(second.headers["x-ratelimit-remaining"])

    unchanged = get("user/following?per_page=1", token, **{"If-None-Match": first.headers["ETag"]})

    assert unchanged.status_code == 304 and unchanged.content == b""
    assert int(unchanged.headers["x-ratelimit-remaining"]) == remaining  # not counted
    github.follow_remove(person=ada, followed=SandboxPerson.objects.get(pk=follows[0]))
    changed = get("user/following?per_page=1", token, **{"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    assert int(changed.headers["x-ratelimit-remaining"]) == remaining - 1


def test_rate_limit_headers_and_a_used_up_window(relying_party, ada):
    token = token_for(relying_party, ada)
    ok = get("user", token)
    assert {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-used"} <= set(
        k.lower() for k in ok.headers
    )
    faults.arm("github", "following", "rate_limited")

    refused = get("user/following", token)

    assert refused.status_code == 403 and refused.headers["x-ratelimit-remaining"] == "0"
    assert int(refused.headers["x-ratelimit-reset"]) > 0
    assert get("user", token).status_code == 403  # the whole window is used up, not one call


def test_secondary_limit_says_retry_after(relying_party, ada):
    token = token_for(relying_party, ada)
    faults.arm("github", "following", "secondary_limit")

    refused = get("user/following", token)

    assert refused.status_code == 403 and refused.headers["retry-after"] == "60"
    assert "secondary rate limit" in refused.json()["message"]


def test_grant_revocation_kills_every_token_of_the_authorization(relying_party, ada):
    token = token_for(relying_party, ada)
    other = token_for(relying_party, ada)

    answer = requests.delete(
        api(f"applications/{settings.GITHUB_CLIENT_ID}/grant"),
        auth=(settings.GITHUB_CLIENT_ID, settings.GITHUB_CLIENT_SECRET),
        json={"access_token": token},
        timeout=10,
    )

    assert answer.status_code == 204
    assert_documented("github/error_401", get("user", token))
    assert get("user", other).status_code == 401


def test_grant_revocation_needs_the_client_credentials(relying_party, ada):
    token = token_for(relying_party, ada)

    answer = requests.delete(
        api(f"applications/{settings.GITHUB_CLIENT_ID}/grant"),
        auth=(settings.GITHUB_CLIENT_ID, "wrong"),
        json={"access_token": token},
        timeout=10,
    )

    assert answer.status_code == 404 and get("user", token).status_code == 200


def test_seed_sandbox_grows_the_following_graph(sandbox):
    out = StringIO()
    call_command("seed_sandbox", "--people", "30", "--follows-per-person", "12", stdout=out)

    ada = SandboxPerson.objects.filter(generated=False).order_by("pk").first()
    assert SandboxFollow.objects.filter(person=ada, followed__generated=True).count() == 12
    assert "GitHub follows" in out.getvalue()
