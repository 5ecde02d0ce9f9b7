"""`make run` and `make serve` start the product the README's way, and a person signs in through them.

A team with a real Facebook app and Google client sets the four credentials and runs `make
run`; in production, `make serve`. Each test here does exactly that, as a subprocess on a
free port with a SQLite file of its own: the app under test has credentials set and its
sandbox off (not installed). Its provider is the sandbox served by a second `make run`
(SANDBOX on, the same credentials registered) on another port, addressed as ``localhost``
while the app is ``127.0.0.1``: another origin, as facebook.com is, and no shared cookies.
The sign-ins go over real HTTP: the CSRF-protected login form, the consent page on the
provider's origin, the approval, the callback, and the page that greets the person.

``make -o .venv/.installed``: the targets depend on the virtualenv's stamp, and a checkout
newer than the stamp would make make rebuild the (shared) virtualenv. ``-o`` tells make
the stamp is current; the target's own recipe runs unchanged.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from cryptography.fernet import Fernet

from sandbox.endpoints import provider_settings
from tests.login_fixtures import Browser

ROOT = Path(__file__).resolve().parents[1]
_PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")
START_TIMEOUT = 180.0  # migrate on a fresh database, on a busy machine
STOP_TIMEOUT = 20.0

# What the sandbox's Facebook app and Google client are registered with; the app gets the same.
CREDENTIALS = {
    "FACEBOOK_APP_ID": "1234567890123456",
    "FACEBOOK_APP_SECRET": secrets.token_hex(16),
    "GOOGLE_CLIENT_ID": "1234567890-socialsite.apps.googleusercontent.com",
    "GOOGLE_CLIENT_SECRET": secrets.token_urlsafe(24),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def base_env(**variables: str) -> dict[str, str]:
    """A fresh environment: nothing of the test run's (DATABASE_URL, REDIS_URL, …) leaks in."""
    env = {name: os.environ[name] for name in _PASSED_THROUGH if name in os.environ}
    env.update(PYTHONUNBUFFERED="1", **variables)
    return env


class Served:
    """One `make <target>` in its own process group, stopped with everything it started."""

    def __init__(self, target: str, env: dict[str, str], log: Path) -> None:
        self.target = target
        self.log = log
        self._out = log.open("w")
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "-o", ".venv/.installed", target],
            cwd=ROOT,
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # make, the shell, manage.py and its children: one group
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def wait_answering(self, url: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"make {self.target} exited with {self.process.returncode}:\n{self.output()}")
            try:
                if requests.get(url, timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        pytest.fail(f"make {self.target} did not answer {url} within {START_TIMEOUT:.0f} s:\n{self.output()}")

    def stop(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
                break
            except subprocess.TimeoutExpired:
                continue
        # The group may outlive make by a moment (runserver's reloader child).
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._out.close()


@pytest.fixture(scope="module")
def ports() -> dict[str, int]:
    return {"sandbox": free_port(), "run": free_port(), "run_production": free_port(), "serve": free_port()}


@pytest.fixture(scope="module")
def provider(ports, tmp_path_factory) -> Iterator[str]:
    """The sandbox, started with `make run` (SANDBOX on) on its own port; its base URL."""
    tmp = tmp_path_factory.mktemp("sandbox")
    app_sites = ",".join(f"http://127.0.0.1:{ports[name]}" for name in ("run", "run_production", "serve"))
    env = base_env(
        PORT=str(ports["sandbox"]),
        SANDBOX="true",
        DATABASE_URL=f"sqlite:///{tmp / 'sandbox.sqlite3'}",
        SANDBOX_REGISTERED_SITES=app_sites,
        **CREDENTIALS,
    )
    served = Served("run", env, tmp / "make-run-sandbox.log")
    base = f"http://localhost:{ports['sandbox']}"
    try:
        served.wait_answering(f"{base}/sandbox/google/.well-known/openid-configuration")
        yield base
    finally:
        served.stop()


def app_env(provider: str, port: int, tmp: Path, **variables: str) -> dict[str, str]:
    """The app as a team with real credentials runs it: no SANDBOX variable, providers elsewhere."""
    return base_env(
        PORT=str(port),
        DATABASE_URL=f"sqlite:///{tmp / 'app.sqlite3'}",
        **CREDENTIALS,
        **provider_settings(provider),
        **variables,
    )


PRODUCTION = {
    "DEBUG": "false",
    "HTTPS": "false",  # plain HTTP on loopback; the README's production runs behind TLS
    "SECRET_KEY": secrets.token_urlsafe(50),
    "TOKEN_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "127.0.0.1",
    # A single box without Redis: tasks run inline, the documented opt-in (no broker here).
    "TASKS_INLINE": "true",
}


@pytest.fixture
def start(tmp_path) -> Iterator:
    started: list[Served] = []

    def run(target: str, env: dict[str, str]) -> str:
        served = Served(target, env, tmp_path / f"make-{target}.log")
        started.append(served)
        base = f"http://127.0.0.1:{env['PORT']}"
        served.wait_answering(f"{base}/healthz/")
        return base

    yield run
    for served in started:
        served.stop()


PERSON_BUTTON = re.compile(r'name="person" value="(\d+)">\s*<img[^>]*>\s*Continue as Ada Lovelace')


def sign_in_as_ada(app: str, provider_base: str, backend: str) -> requests.Response:
    """Home → "Continue with …" → the provider's consent page → "Continue as Ada Lovelace"."""
    browser = Browser(base=app, session=requests.Session())
    consent = browser.start_login(backend)
    assert consent.status_code == 200, consent.text[:2000]
    assert consent.url.startswith(f"{provider_base}/sandbox/"), consent.url
    match = PERSON_BUTTON.search(consent.text)
    assert match, consent.text[:2000]
    back = browser.consent(consent, SimpleNamespace(pk=match.group(1)))
    assert back.url.split("#")[0] == f"{app}/", back.url
    return back


def assert_real_provider_mode(app: str) -> None:
    home = requests.get(f"{app}/", timeout=10)
    assert "Continue with Facebook" in home.text and "Continue with Google" in home.text
    assert "Sandbox providers" not in home.text  # the sandbox flag: off
    assert requests.get(f"{app}/sandbox/", timeout=10).status_code == 404  # not mounted


@pytest.mark.parametrize(
    ("port_name", "extra"),
    [pytest.param("run", {}, id="debug"), pytest.param("run_production", PRODUCTION, id="debug-off")],
)
def test_make_run_with_real_credentials_starts_and_signs_in_through_another_origin(
    provider, ports, start, tmp_path, port_name, extra
):
    app = start("run", app_env(provider, ports[port_name], tmp_path, **extra))

    assert_real_provider_mode(app)
    for backend in ("facebook", "google"):
        page = sign_in_as_ada(app, provider, backend)
        assert page.status_code == 200
        assert "Hello, Ada Lovelace" in page.text


def test_make_serve_starts_gunicorn_with_production_settings_and_signs_in(provider, ports, start, tmp_path):
    env = app_env(provider, ports["serve"], tmp_path, WEB_CONCURRENCY="1", **PRODUCTION)
    app = start("serve", env)

    assert_real_provider_mode(app)
    home = requests.get(f"{app}/", timeout=10)
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]+\.css)"', home.text)
    assert stylesheet, "the stylesheet is not served under its hashed name (collectstatic + manifest)"
    assert requests.get(app + stylesheet.group(1), timeout=10).status_code == 200
    page = sign_in_as_ada(app, provider, "google")
    assert "Hello, Ada Lovelace" in page.text
