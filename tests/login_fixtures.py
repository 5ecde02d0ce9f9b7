"""Login flows over real HTTP: a live server runs the app and the sandbox providers (a pytest plugin).

``Browser`` is a person's browser (a requests session with its own cookie jar): it posts
the CSRF-protected login form, follows the redirect to the sandbox consent page, picks a
person and approves (or cancels), and comes back to the app's callback.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import requests
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.cache import cache
from pytest_django.live_server_helper import LiveServer

from accounts.models import User
from providers.google.client import discovery_cache_key
from sandbox import services as sandbox_services
from sandbox.endpoints import provider_settings, redirect_uris
from sandbox.models import SandboxPerson

CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "page has no CSRF-protected form"
    return match.group(1)


@dataclass
class Browser:
    base: str
    session: requests.Session

    def get(self, path: str, **kwargs) -> requests.Response:
        url = path if path.startswith("http") else self.base + path
        return self.session.get(url, timeout=30, **kwargs)

    def post_form(
        self, page: requests.Response, action: str, data: dict | None = None, **kwargs
    ) -> requests.Response:
        """Submit a form the way a browser does: with the CSRF token of the page it sits on."""
        url = action if action.startswith("http") else self.base + action
        fields = {"csrfmiddlewaretoken": csrf_token(page.text), **(data or {})}
        return self.session.post(url, data=fields, headers={"Referer": page.url}, timeout=30, **kwargs)

    def start_login(
        self, provider: str, *, next_url: str | None = None, rerequest: bool = False
    ) -> requests.Response:
        """Click "Continue with …": returns the provider's consent page."""
        home = self.get("/")
        data = {"next": next_url} if next_url else {}
        if rerequest:
            data["rerequest"] = "1"
        return self.post_form(home, f"/login/{provider}/", data)

    def consent(
        self,
        page: requests.Response,
        person: SandboxPerson | None,
        *,
        scopes: list[str] | None = None,
        follow: bool = True,
    ) -> requests.Response:
        """Approve as ``person`` with ``scopes`` ticked (default: all requested), or Cancel (no person)."""
        if person is None:
            data = {"cancel": "1"}
        else:
            ticked = (
                scopes
                if scopes is not None
                else re.findall(r'name="scope" value="([^"]+)" checked', page.text)
            )
            data = {"person": str(person.pk), "scope": ticked}
        return self.post_form(page, page.url, data, allow_redirects=follow)

    def login(self, provider: str, person: SandboxPerson, **kwargs) -> requests.Response:
        return self.consent(self.start_login(provider), person, **kwargs)

    def logout(self) -> requests.Response:
        return self.post_form(self.get("/"), "/logout/")

    def clear_cookies(self) -> None:
        self.session.cookies.clear()

    def user(self) -> User | None:
        """Who this browser's session cookie signs in, read on the server side."""
        key = self.session.cookies.get("sessionid")
        if not key:
            return None
        session = Session.objects.filter(pk=key).first()
        if session is None:
            return None
        user_id = session.get_decoded().get(SESSION_KEY)
        return User.objects.filter(pk=user_id).first() if user_id else None


# The sandbox's own origin: another loopback address (and port) than the app's live server
# ("localhost"), so it is another *site*, as facebook.com and accounts.google.com are.
SANDBOX_HOST = "127.0.0.2"


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[LiveServer]:
    """A second live server thread that serves the sandbox providers from their own origin.

    The return from a consent page to the app's ``/complete/…`` is then a cross-site
    navigation, so the browser applies SameSite cookie rules to it as in production (and
    the app's and the sandbox's cookies never share a host). It serves the same project and
    database as ``live_server``; only the origin differs.
    """
    server = LiveServer(f"{SANDBOX_HOST}:0")
    yield server
    server.stop()


@pytest.fixture
def sandbox(live_server, sandbox_server, settings, transactional_db):
    """Point both providers at the sandbox on its own origin, with the roster seeded and the
    app's callbacks on the live server registered; returns the app's base URL."""
    for name, value in provider_settings(sandbox_server.url).items():
        setattr(settings, name, value)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, SANDBOX_HOST]
    settings.SANDBOX_REDIRECT_URIS = redirect_uris(live_server.url)
    settings.PROVIDER_TIMEOUT = 2.0
    settings.SOCIAL_AUTH_REQUESTS_TIMEOUT = 2.0
    settings.SANDBOX_SLOW_SECONDS = 3
    # The discovery document is cached for an hour: a document bent by an earlier test's
    # fault (e.g. advertising RFC 9207's flag) must not outlive that test.
    cache.delete(discovery_cache_key())
    sandbox_services.ensure_roster()
    return live_server.url


@pytest.fixture
def browser(sandbox) -> Browser:
    return Browser(base=sandbox, session=requests.Session())


@pytest.fixture
def new_browser(sandbox):
    """A second, independent browser (its own cookies)."""
    return lambda: Browser(base=sandbox, session=requests.Session())


@pytest.fixture
def ada(sandbox) -> SandboxPerson:
    return SandboxPerson.objects.order_by("pk")[0]


@pytest.fixture
def grace(sandbox) -> SandboxPerson:
    return SandboxPerson.objects.order_by("pk")[1]
