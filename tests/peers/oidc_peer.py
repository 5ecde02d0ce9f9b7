"""The independent OpenID provider (tests/peers/oidc: panva's oidc-provider on Node) as a subprocess.

``make test`` installs its node_modules (``npm ci``) from the pinned package-lock.json; this
module only starts ``node server.js`` on a free loopback port, reads the one JSON line it
prints when ready (issuer, clients, accounts), and drives its built-in sign-in and consent
pages (oidc-provider's devInteractions) the way a person's browser would.
"""

from __future__ import annotations

import json
import re
import select
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests

ROOT = Path(__file__).resolve().parents[2]
PEER_DIR = Path(__file__).resolve().parent / "oidc"
INSTALL_HINT = "make test installs it; by hand: cd tests/peers/oidc && npm ci --no-audit --no-fund"
FORM_ACTION = re.compile(r'<form[^>]*\baction="([^"]+)"')
READY_SECONDS = 30


class PeerError(RuntimeError):
    """The peer did not start, or answered something a test did not expect."""


def node_path() -> str | None:
    return shutil.which("node")


def installed() -> bool:
    """oidc-provider is installed at the exact version package.json pins."""
    pinned = json.loads((PEER_DIR / "package.json").read_text())["dependencies"]["oidc-provider"]
    found = PEER_DIR / "node_modules" / "oidc-provider" / "package.json"
    return found.is_file() and json.loads(found.read_text())["version"] == pinned


@dataclass
class OidcPeer:
    issuer: str
    clients: dict[str, dict[str, str]]  # token_endpoint_auth_method -> client_id, client_secret
    accounts: dict[str, dict[str, Any]]  # sub -> claims
    process: subprocess.Popen = field(repr=False)
    log: Path = field(repr=False)

    def discovery(self) -> dict[str, Any]:
        response = requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=10)
        response.raise_for_status()
        return response.json()

    def post_as_client(self, endpoint: str, data: dict[str, str], method: str) -> requests.Response:
        """POST to one of the peer's endpoints, authenticated as its client for ``method``."""
        client = self.clients[method]
        url = self.discovery()[endpoint]
        if method == "client_secret_post":
            return requests.post(url, data={**data, **client}, timeout=10)
        return requests.post(url, data=data, auth=(client["client_id"], client["client_secret"]), timeout=10)

    def introspect(self, token: str, method: str = "client_secret_basic") -> dict[str, Any]:
        """RFC 7662 introspection: ``{"active": false}`` for a token that is no longer good."""
        response = self.post_as_client("introspection_endpoint", {"token": token}, method)
        response.raise_for_status()
        return response.json()

    def refresh_grant(self, refresh_token: str, method: str = "client_secret_basic") -> requests.Response:
        """A refresh-token grant sent straight to the peer (what a refresh token is still good for)."""
        return self.post_as_client(
            "token_endpoint", {"grant_type": "refresh_token", "refresh_token": refresh_token}, method
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(redirect_uri: str) -> OidcPeer:
    """Start the peer with ``redirect_uri`` registered (exactly) for each of its clients."""
    node = node_path()
    if node is None:
        raise PeerError("node is not installed")
    log = ROOT / "artifacts" / "peer-oidc.log"
    log.parent.mkdir(exist_ok=True)
    stderr = log.open("w")
    process = subprocess.Popen(
        [node, "server.js", redirect_uri],
        cwd=PEER_DIR,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
    )
    stderr.close()  # the child keeps its own descriptor
    assert process.stdout is not None
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.2)
        if ready:
            line = process.stdout.readline()
            if line.startswith("{"):
                info = json.loads(line)
                return OidcPeer(
                    issuer=info["issuer"],
                    clients=info["clients"],
                    accounts=info["accounts"],
                    process=process,
                    log=log,
                )
        if process.poll() is not None:
            break
    process.kill()
    process.wait()
    raise PeerError(f"the OpenID peer did not start (exit {process.returncode}): {log.read_text()[-2000:]}")


def submit_form(
    session: requests.Session, page: requests.Response, data: dict[str, str]
) -> requests.Response:
    """Submit the one form on a peer page, following every redirect (back to the app, in the end)."""
    match = FORM_ACTION.search(page.text)
    if match is None:
        raise PeerError(f"no form on {page.url} (HTTP {page.status_code}): {page.text[:500]}")
    return session.post(urljoin(page.url, match.group(1)), data=data, timeout=30)


def sign_in_and_consent(session: requests.Session, page: requests.Response, sub: str) -> requests.Response:
    """On the peer's sign-in page: sign in as ``sub``, approve on its consent page, land back on the app."""
    consent = submit_form(session, page, {"prompt": "login", "login": sub, "password": "any"})
    if 'name="prompt" value="consent"' not in consent.text:
        raise PeerError(f"expected the peer's consent page at {consent.url}: {consent.text[:500]}")
    return submit_form(session, consent, {"prompt": "consent"})
