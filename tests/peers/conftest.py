"""Fixtures for the peer tests: the app against providers nobody here wrote.

``oidc_peer`` is panva's oidc-provider (OpenID Certified, from the npm registry) started once
per session, its clients' redirect URI the live server's ``/complete/google/``. ``peer_google``
points the app's Google backend at it (issuer, credentials, token endpoint authentication
method) for one test, with the sandbox still serving Facebook. Without Node or the installed
node_modules a test skips on a developer's machine and fails in CI (tests/conftest.py ``require``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import require
from tests.peers import oidc_peer as peers
from tests.peers.oidc_peer import OidcPeer

TOKEN_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "oidc_peer" in getattr(item, "fixturenames", ()):
            item.add_marker("peer")


@pytest.fixture(scope="session")
def oidc_peer(live_server) -> Iterator[OidcPeer]:
    require(peers.node_path() is not None, "Node.js is not installed (apt-get install nodejs npm)")
    require(peers.installed(), f"the OpenID peer's pinned packages are not installed ({peers.INSTALL_HINT})")
    peer = peers.start(f"{live_server.url}/complete/google/")
    yield peer
    peer.stop()


@pytest.fixture(params=TOKEN_AUTH_METHODS)
def peer_google(request: pytest.FixtureRequest, sandbox, settings, oidc_peer: OidcPeer) -> OidcPeer:
    """The app's Google backend pointed at the peer, as the client for one token endpoint auth method."""
    method: str = request.param
    client = oidc_peer.clients[method]
    settings.GOOGLE_OIDC_ISSUER = oidc_peer.issuer
    settings.GOOGLE_CLIENT_ID = settings.SOCIAL_AUTH_GOOGLE_KEY = client["client_id"]
    settings.GOOGLE_CLIENT_SECRET = settings.SOCIAL_AUTH_GOOGLE_SECRET = client["client_secret"]
    settings.GOOGLE_TOKEN_ENDPOINT_AUTH_METHOD = method
    return oidc_peer
