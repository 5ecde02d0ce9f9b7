"""A short, bounded load run on loopback: sign-ins and friends-page views against gunicorn.

Production settings (DEBUG off, sandbox not mounted) on PostgreSQL + Redis, gunicorn with
3 workers x 4 threads. The providers are the sandbox served by the benchmark's own live
server, a separate server as real providers are: an app server calling back into itself
can starve its own threads, which no production deployment does. Needs DATABASE_URL and
REDIS_URL; prints "skipped" without.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from benchmarks.harness import Environment, print_block, table

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 8
SIGN_INS = 48
PAGE_VIEWS_PER_SIGN_IN = 5
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Tally:
    def __init__(self) -> None:
        self.requests = 0
        self.errors = 0

    def count(self, response: requests.Response) -> requests.Response:
        self.requests += 1 + len(response.history)
        if response.status_code >= 400:
            self.errors += 1
        return response


def _post_form(session: requests.Session, page: requests.Response, url: str, data: dict) -> requests.Response:
    token = CSRF.search(page.text)
    fields = {"csrfmiddlewaretoken": token.group(1) if token else "", **data}
    return session.post(url, data=fields, headers={"Referer": page.url}, timeout=30)


def _visitor(base: str, person_id: int, tally: Tally) -> None:
    session = requests.Session()
    try:
        home = tally.count(session.get(f"{base}/", timeout=30))
        consent = tally.count(_post_form(session, home, f"{base}/login/google/", {}))
        signed_in = tally.count(
            _post_form(
                session, consent, consent.url, {"person": str(person_id), "scope": ["openid", "email"]}
            )
        )
        if "Hello," not in signed_in.text:
            tally.errors += 1
        for _ in range(PAGE_VIEWS_PER_SIGN_IN):
            tally.count(session.get(f"{base}/friends/", timeout=30))
    except requests.RequestException:
        tally.errors += 1


def _gunicorn(port: int, env: dict[str, str]) -> subprocess.Popen:
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    command = [
        str(bin_dir / "gunicorn"),
        "socialsite.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "3",
        "--threads",
        "4",
        "--timeout",
        "30",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz/", timeout=2).ok:
                return process
        except requests.RequestException:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("gunicorn did not come up")


def run(env: Environment) -> None:
    from django.conf import settings
    from django.db import connection

    from sandbox.endpoints import redirect_uris
    from sandbox.models import SandboxPerson
    from sandbox.services import ensure_roster
    from socialsite.env import database_url

    title = "Load run: sign-ins + friends page on gunicorn (loopback, bounded)"
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        print_block(title, ["skipped: needs PostgreSQL and Redis (set DATABASE_URL and REDIS_URL)"])
        return
    ensure_roster()
    people = list(SandboxPerson.objects.filter(generated=False).values_list("pk", flat=True))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    # gunicorn's callbacks are registered with the in-process sandbox, beside the live server's.
    settings.SANDBOX_REDIRECT_URIS = redirect_uris(env.base_url, base)
    server_env = {
        **os.environ,
        "DEBUG": "false",
        "HTTPS": "false",
        "SECRET_KEY": "load-run-" + "x" * 50,
        "TOKEN_ENCRYPTION_KEYS": ",".join(settings.TOKEN_ENCRYPTION_KEYS),
        "SANDBOX": "false",
        "SITE_URL": base,
        "FACEBOOK_APP_ID": settings.FACEBOOK_APP_ID,
        "FACEBOOK_APP_SECRET": settings.FACEBOOK_APP_SECRET,
        "GOOGLE_CLIENT_ID": settings.GOOGLE_CLIENT_ID,
        "GOOGLE_CLIENT_SECRET": settings.GOOGLE_CLIENT_SECRET,
        "FACEBOOK_DIALOG_URL": settings.FACEBOOK_DIALOG_URL,
        "FACEBOOK_GRAPH_URL": settings.FACEBOOK_GRAPH_URL,
        "GOOGLE_OIDC_ISSUER": settings.GOOGLE_OIDC_ISSUER,
        "GOOGLE_PEOPLE_API_URL": settings.GOOGLE_PEOPLE_API_URL,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url(connection.settings_dict),
    }
    server = _gunicorn(port, server_env)
    tally = Tally()
    try:
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            for index in range(SIGN_INS):
                pool.submit(_visitor, base, people[index % len(people)], tally)
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    rows = [
        [
            str(CLIENTS),
            str(SIGN_INS),
            str(tally.requests),
            f"{elapsed:.1f} s",
            f"{tally.requests / elapsed:.0f}",
            str(tally.errors),
        ]
    ]
    print_block(
        f"{title} ({env.database}, Redis)",
        table(["clients", "sign-ins", "requests", "wall", "requests/s", "errors"], rows),
    )
