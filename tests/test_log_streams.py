"""No code, token or app secret in any log stream, the way an operator runs the product.

The web tier is gunicorn started like ``make serve`` (its config file, production settings:
DEBUG off, HTTPS=false on loopback as benchmarks/load.py does), queueing on Redis for a
real Celery worker (tests/worker.py). The providers are the sandbox on the test's live
server: another host, as real providers are, and the one the worker talks to as well.

People sign in (and fail to: a tampered state, the token endpoint answering 500 or
something that is not JSON, a failed long-lived exchange, Cancel), press Refresh on the
friends page, and the worker syncs and refreshes. Then every stream is searched for every
code and token the sandbox issued (all carry the ``sbx-`` prefix) and for the app
secrets: gunicorn's stdout (the access log) and stderr (its error log and Django's log),
and the worker's log.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.utils import timezone

from accounts.models import ProviderGrant
from accounts.tasks import refresh_grants_at_risk
from friends.models import FriendSyncState, SyncStatus
from sandbox import faults
from sandbox.endpoints import redirect_uris
from sandbox.models import SandboxAuthCode, SandboxToken
from socialsite.env import database_url
from tests.accounts.test_login_flows import with_query
from tests.accounts.test_worker import wait_until
from tests.login_fixtures import Browser

pytestmark = pytest.mark.worker

ROOT = Path(__file__).resolve().parent.parent
GUNICORN_CONFIG = ROOT / "socialsite" / "gunicorn.conf.py"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Gunicorn:
    base: str
    process: subprocess.Popen
    stdout: Path
    stderr: Path

    def stop(self) -> None:
        """Stop it gracefully, so every buffered log line is written."""
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def gunicorn(sandbox, celery_worker, settings) -> Iterator[Gunicorn]:
    """``make serve``'s gunicorn (its config file) on production settings, providers = the sandbox."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    # The sandbox's apps register gunicorn's callbacks too (redirect URIs match exactly).
    settings.SANDBOX_REDIRECT_URIS = redirect_uris(sandbox, base)
    env = {
        **os.environ,
        # The project's own settings, as `make serve` loads them (not the suite's tests.settings).
        "DJANGO_SETTINGS_MODULE": "socialsite.settings",
        "DEBUG": "false",
        "HTTPS": "false",  # loopback only, as in benchmarks/load.py
        "SECRET_KEY": "log-streams-run-" + "x" * 50,
        "TOKEN_ENCRYPTION_KEYS": ",".join(settings.TOKEN_ENCRYPTION_KEYS),
        "SANDBOX": "false",  # the providers live on another host: the live server's sandbox
        "SITE_URL": base,
        "ALLOWED_HOSTS": "127.0.0.1",
        "FACEBOOK_APP_ID": settings.FACEBOOK_APP_ID,
        "FACEBOOK_APP_SECRET": settings.FACEBOOK_APP_SECRET,
        "GOOGLE_CLIENT_ID": settings.GOOGLE_CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": settings.GOOGLE_CLIENT_SECRET,
        "FACEBOOK_DIALOG_URL": settings.FACEBOOK_DIALOG_URL,
        "FACEBOOK_GRAPH_URL": settings.FACEBOOK_GRAPH_URL,
        "GOOGLE_OIDC_ISSUER": settings.GOOGLE_OIDC_ISSUER,
        "GOOGLE_PEOPLE_API_URL": settings.GOOGLE_PEOPLE_API_URL,
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": os.environ["REDIS_URL"],
        "WEB_CONCURRENCY": "2",
        "LOG_LEVEL": "DEBUG",  # the most a misconfigured deployment could print
        "PYTHONUNBUFFERED": "1",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    artifacts = ROOT / "artifacts"
    artifacts.mkdir(exist_ok=True)
    stdout, stderr = artifacts / "gunicorn-stdout.log", artifacts / "gunicorn-stderr.log"
    with stdout.open("w") as out, stderr.open("w") as err:
        process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "--config",
                str(GUNICORN_CONFIG),
                "--bind",
                f"127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
        )
    server = Gunicorn(base=base, process=process, stdout=stdout, stderr=stderr)
    try:
        up = wait_until(lambda: _answers(f"{base}/healthz/") or process.poll() is not None, timeout=30)
        if not up or process.poll() is not None:
            pytest.fail(f"gunicorn did not come up: {stderr.read_text()[-3000:]}")
        yield server
    finally:
        server.stop()


def _unfinished(log: str) -> set[str]:
    """Ids of the tasks the worker's log shows received but not yet finished."""
    received = set(re.findall(r"Task [\w.]+\[([^\]]+)\] received", log))
    finished = set(re.findall(r"Task [\w.]+\[([^\]]+)\] (?:succeeded|raised|retry)", log))
    return received - finished


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).ok
    except requests.RequestException:
        return False


def test_no_code_token_or_secret_reaches_any_log_stream(gunicorn, celery_worker, ada, grace):
    worker_log_before = len(celery_worker.log.read_text())
    ada_browser = Browser(base=gunicorn.base, session=requests.Session())
    grace_browser = Browser(base=gunicorn.base, session=requests.Session())
    stranger = Browser(base=gunicorn.base, session=requests.Session())

    # Sign-ins that work; Grace's long-lived exchange fails, which is logged, not fatal.
    assert "Hello," in ada_browser.login("google", ada).text
    faults.arm("facebook", "exchange", "http_500")
    assert "Hello," in grace_browser.login("facebook", grace).text

    # Sign-ins that fail: each a page, each logged.
    callback = stranger.consent(stranger.start_login("google"), ada, follow=False).headers["Location"]
    assert stranger.get(with_query(callback, state="forged-state-value")).status_code == 403
    faults.arm("google", "token", "http_500")
    assert stranger.login("google", ada).status_code >= 500
    faults.arm("facebook", "token", "malformed_json")
    assert stranger.login("facebook", grace).status_code >= 500
    assert stranger.consent(stranger.start_login("facebook"), None).status_code == 403  # Cancel

    # The worker: the sync queued at sign-in, the Refresh button, then a token refresh.
    assert wait_until(
        lambda: FriendSyncState.objects.filter(status=SyncStatus.OK).count() >= 2, timeout=60
    ), celery_worker.log.read_text()[-3000:]
    refreshed = ada_browser.post_form(ada_browser.get("/friends/"), "/friends/refresh/")
    assert refreshed.status_code == 200 and "Refreshing" in refreshed.text
    long_ago = timezone.now() - timedelta(days=200)  # refresh tokens at risk of lapsing unused
    ProviderGrant.objects.filter(provider="google").update(
        expires_at=timezone.now() + timedelta(seconds=60), last_refreshed_at=long_ago
    )
    refresh_grants_at_risk.delay()
    assert wait_until(lambda: not ProviderGrant.objects.filter(last_refreshed_at__lte=long_ago).exists()), (
        celery_worker.log.read_text()[-3000:]
    )
    # The worker logs each task's end after its database write: wait for those lines too.
    assert wait_until(lambda: not _unfinished(celery_worker.log.read_text()[worker_log_before:]))
    gunicorn.stop()

    issued = list(SandboxToken.objects.values_list("value", flat=True))
    issued += list(SandboxAuthCode.objects.values_list("value", flat=True))
    secrets = [*issued, settings.FACEBOOK_APP_SECRET, settings.GOOGLE_CLIENT_SECRET]
    assert all(value.startswith("sbx-") for value in issued)
    # Every kind the run made the sandbox issue is among them: codes, access and refresh tokens.
    kinds = ("sbx-fb-code-", "sbx-fb-at-", "sbx-g-code-", "sbx-g-at-", "sbx-g-rt-")
    assert all(any(value.startswith(kind) for value in issued) for kind in kinds), issued
    streams = {
        "gunicorn stdout (access log)": gunicorn.stdout.read_text(),
        "gunicorn stderr (error log, Django's log)": gunicorn.stderr.read_text(),
        "celery worker log": celery_worker.log.read_text(),
    }

    # The streams hold what an operator needs, so an empty or silent stream cannot pass.
    access_log = streams["gunicorn stdout (access log)"]
    assert re.search(r'"GET /complete/google/\S* HTTP/1.1" 302', access_log)
    assert re.search(r'"GET /complete/google/\S* HTTP/1.1" 403', access_log)  # the tampered state
    assert re.search(r'"GET /complete/facebook/\S* HTTP/1.1" 5', access_log)  # the malformed answer
    assert '"POST /friends/refresh/ HTTP/1.1" 302' in access_log
    errors = streams["gunicorn stderr (error log, Django's log)"]
    assert "Booting worker" in errors
    assert "Social authentication failure: code=" in errors
    assert "facebook long-lived exchange failed at login" in errors
    assert "Traceback (most recent call last)" in errors  # a 5xx failure is logged with its chain
    worker_log = streams["celery worker log"][worker_log_before:]
    assert re.search(r"Task friends.tasks.sync_link\[[^\]]+\] succeeded", worker_log)
    assert re.search(r"Task accounts.tasks.refresh_grants_at_risk\[[^\]]+\] succeeded", worker_log)

    for name, text in streams.items():
        assert "sbx-" not in text, f"{name}: {text[text.index('sbx-') - 200 :][:400]}"
        for secret in secrets:
            assert secret not in text, name
