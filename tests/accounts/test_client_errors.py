"""A provider call that fails on the wire raises a typed error that carries no secret.

``requests`` puts the full URL in its exceptions (``Max retries exceeded with url:
/oauth/access_token?client_secret=…&fb_exchange_token=…``) and keeps the request on them;
a traceback or a Celery failure log prints the whole ``__cause__``/``__context__`` chain.
These calls fail for real: a closed port, a server that hangs up, a body that is not JSON.
"""

from __future__ import annotations

import io
import logging
import socket
import threading
import traceback
from collections.abc import Iterator

import pytest

from providers.facebook.client import FacebookTokenClient
from providers.http.errors import ProviderUnavailable
from socialsite.logging import RedactSecretsFilter

APP_SECRET = "app-secret-4f9c2e7d1b"
SHORT_LIVED = "sbx-fb-short-lived-9Qw3Er5Ty7"


def chain(error: BaseException) -> Iterator[BaseException]:
    """The error and every exception chained to it, as a traceback printer walks them."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def printed(error: BaseException) -> str:
    """What a log line can show of an error: its traceback, and each chained one's str and repr."""
    parts = ["".join(traceback.format_exception(error))]
    for current in chain(error):
        parts += [str(current), repr(current), repr(current.args)]
    return "\n".join(parts)


def everything_printable(error: BaseException) -> str:
    """``printed`` plus the URLs of requests and responses attached to chained exceptions."""
    parts = [printed(error)]
    for current in chain(error):
        for attribute in ("request", "response"):
            attached = getattr(current, attribute, None)
            parts.append(repr(getattr(attached, "url", "")))
    return "\n".join(parts)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


@pytest.fixture
def graph_at(settings):
    settings.FACEBOOK_APP_SECRET = APP_SECRET
    settings.PROVIDER_TIMEOUT = 2.0

    def point_at(base: str) -> None:
        settings.FACEBOOK_GRAPH_URL = base

    return point_at


def exchange_error() -> ProviderUnavailable:
    with pytest.raises(ProviderUnavailable) as caught:
        FacebookTokenClient().exchange_for_long_lived(SHORT_LIVED)
    return caught.value


def assert_carries_no_secret(error: ProviderUnavailable) -> None:
    printable = everything_printable(error)
    assert "exchange" in str(error)  # the error still says which call failed
    for secret in (APP_SECRET, SHORT_LIVED, "client_secret", "fb_exchange_token"):
        assert secret not in printable


def test_connection_refused_on_the_token_exchange_carries_no_secret(graph_at):
    graph_at(f"http://127.0.0.1:{closed_port()}")

    error = exchange_error()

    assert_carries_no_secret(error)
    assert "ConnectionError" in everything_printable(error)  # what happened, by type and host


def test_a_server_that_hangs_up_carries_no_secret(graph_at):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()

        def hang_up() -> None:
            connection, _ = server.accept()
            connection.recv(65536)
            connection.close()

        threading.Thread(target=hang_up, daemon=True).start()
        graph_at(f"http://127.0.0.1:{server.getsockname()[1]}")

        error = exchange_error()

    assert_carries_no_secret(error)


def test_a_body_that_is_not_json_carries_no_secret(graph_at):
    body = f"<html>oops access_token={SHORT_LIVED}</html>".encode()
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()

        def answer() -> None:
            connection, _ = server.accept()
            connection.recv(65536)
            connection.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s"
                % (len(body), body)
            )
            connection.close()

        threading.Thread(target=answer, daemon=True).start()
        graph_at(f"http://127.0.0.1:{server.getsockname()[1]}")

        error = exchange_error()

    assert "malformed JSON" in str(error)
    assert_carries_no_secret(error)


def test_a_logged_transport_failure_shows_its_cause_without_the_url(graph_at):
    graph_at(f"http://127.0.0.1:{closed_port()}")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecretsFilter())
    logger = logging.getLogger("tests.client_errors")
    logger.handlers[:] = [handler]
    logger.propagate = False

    try:
        FacebookTokenClient().exchange_for_long_lived(SHORT_LIVED)
    except ProviderUnavailable:
        logger.exception("exchange failed")

    output = stream.getvalue()
    assert "TransportError: ConnectionError calling 127.0.0.1" in output
    for secret in (APP_SECRET, SHORT_LIVED, "oauth/access_token?"):
        assert secret not in output


def test_social_core_s_own_transport_errors_at_sign_in_carry_no_secret(graph_at, rf):
    """The sign-in's token call is social-core's (``BaseAuth.request``), not our client's.

    social-core redacts the messages of the ``requests`` exceptions it chains; the request
    objects still attached to them keep the URL (its docstring says so), which no log
    line prints: the redaction filter renders the traceback and drops the live exception.
    """
    from social_core.exceptions import AuthProviderError
    from social_django.utils import load_backend, load_strategy

    graph_at(f"http://127.0.0.1:{closed_port()}")
    request = rf.get("/complete/facebook/")
    request.session = {}
    backend = load_backend(load_strategy(request), "facebook", redirect_uri=None)
    code = "sbx-fb-code-Zx8Cv6Bn4Mm2"

    with pytest.raises(AuthProviderError) as caught:
        backend.get_json(
            backend.access_token_url(),
            params={"client_id": "1", "client_secret": APP_SECRET, "code": code, "redirect_uri": "http://x/"},
        )

    printable = printed(caught.value)
    assert caught.value.code == "connection_failed"
    for secret in (APP_SECRET, code):
        assert secret not in printable
