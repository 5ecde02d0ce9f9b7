"""The sandbox's authorize endpoints accept only a redirect URI registered for the app, exactly.

Google: "Error 400: redirect_uri_mismatch" unless the redirect_uri matches an authorized
redirect URI of the OAuth client exactly
(https://developers.google.com/identity/protocols/oauth2/web-server#authorization-errors-redirect-uri-mismatch).
Meta: Strict Mode allows only exact matches of the Valid OAuth Redirect URIs, and the dialog
shows "URL blocked" otherwise (https://developers.facebook.com/docs/facebook-login/security/#strict_mode).
Either way the provider shows its own error page and never redirects to the URI it refused.
"""

from __future__ import annotations

import pytest

from sandbox.endpoints import redirect_uris
from sandbox.models import SandboxAuthCode
from tests.sandbox.flows import FB_REDIRECT, G_REDIRECT, GoogleAuth, fb_dialog_url, query

pytestmark = pytest.mark.django_db

# Each is one small step away from a registered URI, the way an attacker (or a misconfigured
# proxy) would try: none of them is registered.
NEAR_MISSES = [
    pytest.param("https://testserver{path}", id="other-scheme"),
    pytest.param("http://testserver:8080{path}", id="other-port"),
    pytest.param("http://testserver.evil.example{path}", id="other-host"),
    pytest.param("http://evil.example/?next=http://testserver{path}", id="registered-uri-in-query"),
    pytest.param("http://testserver/x{path}", id="registered-path-as-suffix"),
    pytest.param("http://testserver{path}steal/", id="registered-uri-as-prefix"),
    pytest.param("http://testserver{path}?next=/account/", id="extra-query"),
    pytest.param("http://testserver{path_no_slash}", id="no-trailing-slash"),
]


def _authorize_url(provider: str, redirect_uri: str) -> str:
    if provider == "facebook":
        return fb_dialog_url(redirect_uri=redirect_uri)
    return GoogleAuth.new().authorize_url(redirect_uri=redirect_uri)


PATHS = {"facebook": "/complete/facebook/", "google": "/complete/google/"}


@pytest.mark.parametrize("provider", ["facebook", "google"])
@pytest.mark.parametrize("template", NEAR_MISSES)
def test_an_unregistered_redirect_uri_gets_the_providers_error_page(client, people, provider, template):
    path = PATHS[provider]
    redirect_uri = template.format(path=path, path_no_slash=path.rstrip("/"))
    url = _authorize_url(provider, redirect_uri)

    shown = client.get(url)
    approved = client.post(url, {"person": people[0].pk})

    for response in (shown, approved):
        assert response.status_code == 400
        assert not response.has_header("Location")
    page = shown.content.decode()
    if provider == "google":
        assert "Error 400: redirect_uri_mismatch" in page
    else:
        assert "URL blocked" in page and "Valid OAuth Redirect URIs" in page
    assert "Continue as" not in page
    assert not SandboxAuthCode.objects.exists()


@pytest.mark.parametrize(("provider", "registered"), [("facebook", FB_REDIRECT), ("google", G_REDIRECT)])
def test_the_registered_redirect_uri_gets_the_code(client, people, provider, registered):
    response = client.post(_authorize_url(provider, registered), {"person": people[0].pk})

    assert response.status_code == 302
    assert response["Location"].startswith(registered + "?")
    assert query(response["Location"])["code"]


def test_a_uri_registered_for_google_is_not_valid_at_facebook(client, people):
    # Each provider holds its own app's registrations.
    response = client.get(fb_dialog_url(redirect_uri=G_REDIRECT))

    assert response.status_code == 400


def test_another_registered_site_is_accepted_and_the_error_page_lists_the_registrations(
    client, people, settings
):
    settings.SANDBOX_REDIRECT_URIS = redirect_uris("http://testserver", "https://socialsite.example")
    other = "https://socialsite.example/complete/google/"

    accepted = client.post(_authorize_url("google", other), {"person": people[0].pk})
    refused = client.get(_authorize_url("google", "https://socialsite.example/complete/google"))

    assert accepted.status_code == 302 and accepted["Location"].startswith(other + "?")
    assert refused.status_code == 400
    assert other in refused.content.decode()  # what a developer would register instead
