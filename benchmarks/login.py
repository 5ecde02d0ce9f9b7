"""Server-side time of one login callback, with the provider's share separated out.

Each sign-in goes through the real flow against the in-process sandbox. The callback
(``GET /complete/<provider>/``) is timed inside the server, around Django's WSGI handler
(a client-side clock would add the test server's own HTTP handling, about 40 ms of
Nagle/delayed-ACK stall in wsgiref); the app's provider calls inside it (token exchange,
profile, Facebook's long-lived exchange) are timed by wrapping ``requests``'
``Session.send``. "Ours" is the callback minus those calls: state and id_token checks,
the pipeline, the vault, the session. Both wrappers are measurement seams of this
benchmark only, restored afterwards.
"""

from __future__ import annotations

import re
import statistics
import threading
import time
from typing import Any

import requests

from benchmarks.harness import Environment, print_block, table

SIGN_INS = 20
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class CallbackTimer:
    """Times callbacks inside the server, and the provider calls made while handling them."""

    def __init__(self) -> None:
        self.callback = 0.0
        self.provider = 0.0
        self.client_thread = threading.get_ident()

    def __enter__(self) -> CallbackTimer:
        from django.core.handlers.wsgi import WSGIHandler

        timer = self
        self._send, self._handle = requests.Session.send, WSGIHandler.__call__
        send_original, handle_original = self._send, self._handle

        def send(session: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> Any:
            if threading.get_ident() == timer.client_thread:
                return send_original(session, request, **kwargs)
            started = time.perf_counter()
            try:
                return send_original(session, request, **kwargs)
            finally:
                timer.provider += time.perf_counter() - started

        def handle(handler: WSGIHandler, environ: dict, start_response: Any) -> Any:
            if not environ.get("PATH_INFO", "").startswith("/complete/"):
                return handle_original(handler, environ, start_response)
            started = time.perf_counter()
            try:
                return handle_original(handler, environ, start_response)
            finally:
                timer.callback += time.perf_counter() - started

        setattr(requests.Session, "send", send)  # noqa: B010  (a measurement seam, restored on exit)
        setattr(WSGIHandler, "__call__", handle)  # noqa: B010
        return self

    def __exit__(self, *exc: object) -> None:
        from django.core.handlers.wsgi import WSGIHandler

        setattr(requests.Session, "send", self._send)  # noqa: B010
        setattr(WSGIHandler, "__call__", self._handle)  # noqa: B010


def _form(
    session: requests.Session, page: requests.Response, url: str, data: dict, *, follow: bool = True
) -> requests.Response:
    token = CSRF.search(page.text)
    assert token, f"no form on {page.url}"
    fields = {"csrfmiddlewaretoken": token.group(1), **data}
    return session.post(url, data=fields, headers={"Referer": page.url}, timeout=30, allow_redirects=follow)


def run(env: Environment) -> None:
    from sandbox.models import SandboxPerson
    from sandbox.services import ensure_roster
    from socialsite.celery import app

    ensure_roster()
    # As in production, the friends sync a login queues goes to the broker (here the
    # in-memory one, which nobody consumes) instead of running inside the callback.
    eager, app.conf.task_always_eager = app.conf.task_always_eager, False
    people = list(SandboxPerson.objects.filter(generated=False).values_list("pk", flat=True))
    rows = []
    for provider in ("facebook", "google"):
        callbacks, providers = [], []
        for index in range(SIGN_INS):
            session = requests.Session()
            home = session.get(f"{env.base_url}/", timeout=30)
            consent = _form(session, home, f"{env.base_url}/login/{provider}/", {})
            scopes = re.findall(r'name="scope" value="([^"]+)" checked', consent.text)
            approve = {"person": str(people[index % len(people)]), "scope": scopes}
            callback = _form(session, consent, consent.url, approve, follow=False).headers["Location"]
            with CallbackTimer() as timer:
                answer = session.get(callback, allow_redirects=False, timeout=30)
            assert answer.status_code == 302, answer.status_code
            if index:  # the first sign-in also warms discovery and JWKS caches
                callbacks.append(timer.callback)
                providers.append(timer.provider)
        total, theirs = statistics.median(callbacks), statistics.median(providers)
        ours = statistics.median(c - p for c, p in zip(callbacks, providers, strict=True))
        rows.append(
            [
                provider,
                str(len(callbacks)),
                f"{total * 1000:.1f} ms",
                f"{theirs * 1000:.1f} ms",
                f"{ours * 1000:.1f} ms",
            ]
        )
    app.conf.task_always_eager = eager
    print_block(
        f"Login callback, server side ({env.database}; medians; sandbox in-process)",
        table(["provider", "sign-ins", "callback", "provider calls", "ours"], rows),
    )
