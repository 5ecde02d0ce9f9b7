"""Log redaction at unit level: ``redact()``, the filter on real loggers, gunicorn's atoms.

The end-to-end check (gunicorn, a Celery worker, every stream searched for what the
sandbox issued) is tests/test_log_streams.py.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from socialsite.gunicorn_logger import clean_atoms
from socialsite.logging import RedactSecretsFilter, redact

GOOGLE_CODE = "4/0AeaYSHBx1Qz7cWnR8bLmKp3TvYd2eFgHjKl"  # the shape of a Google authorization code
GOOGLE_CODE_ENCODED = GOOGLE_CODE.replace("/", "%2F")
SANDBOX_TOKEN = "sbx-at-7Hq2LwN9xVtR4pKcZ1mY"


def a_logger(name: str) -> tuple[logging.Logger, io.StringIO]:
    """A real logger writing through a StreamHandler with the filter, as settings.LOGGING does."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSecretsFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger(f"tests.redaction.{name}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    return logger, stream


@pytest.mark.parametrize(
    "line",
    [
        f"GET /complete/google/?code={GOOGLE_CODE_ENCODED}&state=abc",
        f"GET /complete/google/?state=abc&code={GOOGLE_CODE_ENCODED}",
        f"redirect to http://127.0.0.1/complete/facebook/?code={SANDBOX_TOKEN}",
        f"form: code={GOOGLE_CODE}&code_verifier=abc123def456",
        f"url: /oauth/access_token?client_id=1&client_secret=s3cr3t-app&fb_exchange_token={SANDBOX_TOKEN}",
        f"/debug_token?input_token={SANDBOX_TOKEN}&appsecret_proof=ab12cd34ef56",
        f"Authorization: Bearer {SANDBOX_TOKEN}",
        f"{{'access_token': '{SANDBOX_TOKEN}', 'token_type': 'bearer'}}",
        f'{{"refresh_token": "{SANDBOX_TOKEN}", "code": "{GOOGLE_CODE}"}}',
    ],
)
def test_redact_removes_codes_tokens_and_secrets(line):
    cleaned = redact(line)

    for secret in (
        GOOGLE_CODE,
        GOOGLE_CODE_ENCODED,
        SANDBOX_TOKEN,
        "s3cr3t-app",
        "ab12cd34ef56",
        "abc123def456",
    ):
        assert secret not in cleaned
    assert "[redacted]" in cleaned


@pytest.mark.parametrize(
    "line",
    [
        "Social authentication failure: code=session_context_missing source=client stage=callback status=403",
        "Social authentication failure: code=invalid_state_parameter source=client stage=callback",
        "provider call failed: provider=google role=token status=400 error_code=invalid_grant",
        "sync failed: {'code': 'expired_sync_token'}",
        "graph: token invalid (code=190 subcode=460)",
    ],
)
def test_redact_keeps_error_codes_an_operator_needs(line):
    assert redact(line) == line


def test_percent_encoded_code_in_a_log_line_is_redacted():
    logger, stream = a_logger("encoded")

    logger.info("callback: %s", f"/complete/google/?state=xyz&code={GOOGLE_CODE_ENCODED}&scope=openid")

    assert GOOGLE_CODE_ENCODED not in stream.getvalue()
    assert "code=[redacted]" in stream.getvalue()


def test_error_code_names_reach_the_log_untouched():
    logger, stream = a_logger("codes")

    logger.warning("Social authentication failure: code=%s source=%s", "session_context_missing", "client")

    assert "code=session_context_missing source=client" in stream.getvalue()


class ProviderBlewUp(Exception):
    pass


def test_a_traceback_is_redacted_message_chain_and_all():
    logger, stream = a_logger("traceback")
    try:
        try:
            raise ConnectionError(f"Max retries exceeded with url: /token?code={GOOGLE_CODE_ENCODED}")
        except ConnectionError as error:
            raise ProviderBlewUp(f"GET /me?access_token={SANDBOX_TOKEN}") from error
    except ProviderBlewUp:
        logger.exception("sync failed")

    output = stream.getvalue()
    assert "Traceback (most recent call last)" in output and "ProviderBlewUp" in output
    assert "The above exception was the direct cause" in output  # the chain is still shown
    assert SANDBOX_TOKEN not in output
    assert GOOGLE_CODE_ENCODED not in output


def test_a_traceback_already_rendered_into_exc_text_is_redacted():
    """Handlers (Celery's among them) cache the rendered traceback in ``exc_text``."""
    logger, stream = a_logger("exc_text")
    record = logger.makeRecord(logger.name, logging.ERROR, __file__, 1, "task failed", (), None)
    record.exc_text = f"Traceback (most recent call last):\nValueError: refresh_token={SANDBOX_TOKEN}"

    logger.handle(record)

    assert "ValueError: refresh_token=[redacted]" in stream.getvalue()
    assert SANDBOX_TOKEN not in stream.getvalue()


def test_stack_info_is_redacted():
    logger, stream = a_logger("stack")
    stack = f"Stack (most recent call last):\n  fetch('/token?code={GOOGLE_CODE_ENCODED}')"
    record = logger.makeRecord(logger.name, logging.INFO, __file__, 1, "m", (), None, sinfo=stack)

    logger.handle(record)

    assert "Stack (most recent call last)" in stream.getvalue()
    assert GOOGLE_CODE_ENCODED not in stream.getvalue()


def test_the_filter_leaves_a_record_with_no_live_exception_for_later_handlers():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), None)
    try:
        raise RuntimeError(f"client_secret=abc&code={GOOGLE_CODE_ENCODED}")
    except RuntimeError:
        record.exc_info = sys.exc_info()

    RedactSecretsFilter().filter(record)

    assert record.exc_info is None
    assert record.exc_text and GOOGLE_CODE_ENCODED not in record.exc_text
    assert "RuntimeError: client_secret=[redacted]&code=[redacted]" in record.exc_text


def test_gunicorn_access_log_atoms_carry_no_query_string_and_no_credentials():
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/complete/google/?state=abc&code={GOOGLE_CODE_ENCODED}",
        "PATH_INFO": "/complete/google/",
        "QUERY_STRING": f"state=abc&code={GOOGLE_CODE_ENCODED}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_REFERER": f"http://127.0.0.1/complete/google/?code={GOOGLE_CODE_ENCODED}",
    }
    atoms = {
        "r": f"GET {environ['RAW_URI']} HTTP/1.1",
        "U": "/complete/google/",
        "q": environ["QUERY_STRING"],
        "f": environ["HTTP_REFERER"],
        "{referer}i": environ["HTTP_REFERER"],
        "{authorization}i": f"Bearer {SANDBOX_TOKEN}",
        "{cookie}i": "sessionid=abc",
        "{query_string}e": environ["QUERY_STRING"],
        "{raw_uri}e": environ["RAW_URI"],
        "{x-custom}i": f"token={SANDBOX_TOKEN}",
        "s": "302",
    }

    cleaned = clean_atoms(atoms, environ)

    assert cleaned["r"] == "GET /complete/google/ HTTP/1.1"
    assert cleaned["f"] == cleaned["{referer}i"] == "http://127.0.0.1/complete/google/"
    assert cleaned["U"] == "/complete/google/" and cleaned["s"] == "302"
    text = repr(cleaned)
    for secret in (GOOGLE_CODE_ENCODED, SANDBOX_TOKEN, "state=abc", "sessionid=abc"):
        assert secret not in text


CELERY_WORKER_LOGGING = f"""
from socialsite.celery import app
app.log.setup(loglevel="INFO", redirect_stdouts=False, hostname="worker@test")
import logging
try:
    raise RuntimeError("GET /oauth/access_token?code={GOOGLE_CODE_ENCODED}&client_secret=s3cr3t-app")
except RuntimeError as error:
    logging.getLogger("celery.app.trace").error("Task sync raised unexpected: %r", error, exc_info=True)
"""


def test_a_celery_worker_s_own_log_handlers_redact_task_failures():
    """The worker swaps Django's log handlers for its own; they must redact as well."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "socialsite.settings"}
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", CELERY_WORKER_LOGGING],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    output = result.stdout + result.stderr
    assert "Task sync raised unexpected: RuntimeError(" in output
    assert "Traceback (most recent call last)" in output
    assert GOOGLE_CODE_ENCODED not in output and "s3cr3t-app" not in output
