"""Suite-wide fixtures and the rule for tests that need something outside Python.

A test marked ``browser`` needs Debian's Chromium; one marked ``worker`` needs Redis
(REDIS_URL) for a real Celery worker; one marked ``postgres`` needs DATABASE_URL to be
PostgreSQL (without DATABASE_URL it is skipped: CI's SQLite pass leaves it to the second).
On a developer's machine a missing one skips the test with the reason; in CI (``CI=true``)
it fails it, so a green CI run always means the whole suite ran. Services named by
REDIS_URL or DATABASE_URL are checked once, at session start, so a service that is down
stops the run with one clear line instead of many errors.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import pytest

# The live-sandbox fixtures (sandbox, browser, new_browser, ada, grace), for every test package.
pytest_plugins = ["tests.login_fixtures"]

IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}

# This run's own queue names and provider-budget keys, inherited by every process it starts
# (workers, gunicorn): runs sharing one Redis or RabbitMQ never take each other's messages.
_RUN = uuid.uuid4().hex[:10]
os.environ.setdefault("SOCIALSITE_TEST_RUN", _RUN)
os.environ.setdefault("CELERY_QUEUE", f"socialsite-test-{_RUN}")
os.environ.setdefault("PROVIDER_BUDGET_PREFIX", f"budget:run-{_RUN}:")
DEFAULT_CHROMIUM = "/usr/bin/chromium"


def require(condition: bool, reason: str) -> None:
    """Skip the current test when ``condition`` is false, or fail it in CI."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing service or browser is a failure)", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str:
    return os.environ.get("CHROMIUM_PATH") or DEFAULT_CHROMIUM


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("browser"):
        path = chromium_path()
        require(
            Path(path).is_file() and os.access(path, os.X_OK),
            f"Chromium not found at {path} (apt-get install chromium, or set CHROMIUM_PATH)",
        )
    if item.get_closest_marker("worker"):
        require(bool(os.environ.get("REDIS_URL")), "REDIS_URL is not set; worker tests need Redis")
    if item.get_closest_marker("postgres"):
        url = os.environ.get("DATABASE_URL", "")
        if not url:
            # CI's first pass runs on SQLite on purpose; its second pass (DATABASE_URL) runs these.
            pytest.skip("PostgreSQL test: runs when DATABASE_URL points at PostgreSQL (CI's second pass)")
        require(urlsplit(url).scheme.startswith("postgres"), "DATABASE_URL is not PostgreSQL")


def _redacted(url: str) -> str:
    """The URL without its password, for error messages."""
    parts = urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@"))
    return parts.geturl()


def _check_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as error:
        raise pytest.UsageError(f"REDIS_URL={_redacted(url)} does not answer: {error}") from error


def _check_database(url: str) -> None:
    import dj_database_url

    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        return  # Django reports any other backend's trouble itself.
    import psycopg

    try:
        # The maintenance database: the test database is created by pytest-django.
        psycopg.connect(
            host=config["HOST"] or None,
            port=config["PORT"] or None,
            user=config["USER"] or None,
            password=config["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.Error as error:
        raise pytest.UsageError(f"DATABASE_URL={_redacted(url)} does not answer: {error}") from error


def _check_broker(url: str) -> None:
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=3) as broker:
            broker.ensure_connection(max_retries=1)
    except Exception as error:
        raise pytest.UsageError(f"CELERY_BROKER_URL={_redacted(url)} does not answer: {error}") from error


def pytest_sessionstart(session: pytest.Session) -> None:
    if url := os.environ.get("REDIS_URL"):
        _check_redis(url)
    if url := os.environ.get("CELERY_BROKER_URL"):
        _check_broker(url)
    if url := os.environ.get("DATABASE_URL"):
        _check_database(url)


@pytest.fixture(autouse=True)
def sandbox_registers_the_test_client(settings):
    """The sandbox's apps register the Django test client's callbacks (``http://testserver``);
    live-server tests register the live server's instead (``tests.login_fixtures.sandbox``)."""
    from sandbox.endpoints import redirect_uris

    settings.SANDBOX_REDIRECT_URIS = redirect_uris("http://testserver")


@pytest.fixture(autouse=True)
def rate_limit_counts_per_test(settings):
    """Each test counts its requests afresh (the suite signs in from 127.0.0.1 all day).

    The production rates stay in force; only the cache keys get a per-test prefix, so no
    test inherits the counts of the one before (in the in-process cache or in Redis).
    """
    import uuid

    settings.RATELIMIT_CACHE_PREFIX = f"rl:test-{uuid.uuid4().hex[:12]}:"


@pytest.fixture(autouse=True)
def provider_budget_per_test(settings):
    """Each test draws from fresh provider budgets (socialsite.quota), in-process or in Redis:
    a 429 one test provokes pauses that provider for the fleet, not for the tests after it."""
    import uuid

    settings.PROVIDER_BUDGET_PREFIX = f"budget:test-{uuid.uuid4().hex[:12]}:"


@pytest.fixture(autouse=True)
def celery_inline_unless_worker(request: pytest.FixtureRequest):
    """Tasks run inline in the test process, except in ``worker`` tests, which use the broker.

    With REDIS_URL set (CI's second pass) the settings would queue tasks for a worker; only
    the tests that start one should, or a queued task would simply never run.
    """
    from django.conf import settings

    from socialsite.celery import app

    previous = app.conf.task_always_eager
    # A sealed-mode suite is sealed mode's web tier: it cannot run a task that opens a token,
    # so nothing runs inline; its live-server tests get the suite's worker (below).
    sealed_suite = settings.TOKEN_VAULT == "sealed"
    app.conf.task_always_eager = request.node.get_closest_marker("worker") is None and not sealed_suite
    if sealed_suite and "sandbox" in request.fixturenames:
        request.getfixturevalue("celery_worker")
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(scope="session")
def celery_worker(request: pytest.FixtureRequest, django_db_setup, sandbox_server):
    """A real ``celery worker`` process consuming from the broker (CELERY_BROKER_URL, else
    REDIS_URL) on this run's own queue (for ``worker`` tests)."""
    from tests.worker import start_worker

    require(bool(os.environ.get("REDIS_URL")), "REDIS_URL is not set; worker tests need Redis")
    from tests.worker import publish_to_this_runs_queue

    publish_to_this_runs_queue()
    worker = start_worker(sandbox_server.url)
    yield worker
    worker.stop()


@pytest.fixture(scope="session")
def sealed_keypair() -> tuple[str, str]:
    """A sealed-mode ``(public, private)`` pair for the sealed tests of a shared-mode suite."""
    from accounts.vault_sealed import generate_keypair

    return generate_keypair()


@pytest.fixture(scope="session")
def sealed_worker(request: pytest.FixtureRequest, django_db_setup, sandbox_server, sealed_keypair):
    """A real sealed-mode worker (private key, PROCESS_ROLE=worker) on a queue of its own."""
    from tests.worker import start_sealed_worker

    require(bool(os.environ.get("REDIS_URL")), "REDIS_URL is not set; worker tests need Redis")
    public, private = sealed_keypair
    worker = start_sealed_worker(sandbox_server.url, public_key=public, private_key=private)
    yield worker
    worker.stop()


@pytest.fixture
def sealed_web(settings, sealed_keypair, sealed_worker):
    """This test process as sealed mode's web tier: the public key only, tasks to the sealed worker."""
    from socialsite.celery import app
    from tests.worker import SEALED_QUEUE

    settings.TOKEN_VAULT = "sealed"
    settings.PROCESS_ROLE = "web"
    settings.TOKEN_SEAL_PUBLIC_KEY = sealed_keypair[0]
    settings.TOKEN_SEAL_PRIVATE_KEYS = []
    settings.TOKEN_ENCRYPTION_KEYS = []
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = SEALED_QUEUE
    settings.FRIENDS_SCHEDULED_QUEUE = f"{SEALED_QUEUE}.scheduled"
    yield settings
    app.conf.task_default_queue = previous
