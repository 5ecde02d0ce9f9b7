"""The environment every benchmark runs in, and small helpers to measure and print.

``live_environment()`` creates a throwaway database the way the test runner does
(``setup_databases``: on PostgreSQL when DATABASE_URL is set, else a SQLite file of its
own, never the one the test suite uses), serves the app and the sandbox providers from a
``LiveServerThread`` in this process, points both providers at that sandbox, and removes
the database afterwards.

The sandbox runs in this process: the time of each HTTP round trip (``TimedSession``) is the
provider's (the wire plus the sandbox's own work in the server thread); the rest, decoding
the answers included, is ours.
"""

from __future__ import annotations

import os
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import requests

from sandbox.endpoints import provider_settings, redirect_uris

T = TypeVar("T")


@dataclass(frozen=True)
class Environment:
    base_url: str
    database: str  # e.g. "PostgreSQL 16.4" or "SQLite 3.40.1"


@contextmanager
def live_environment() -> Iterator[Environment]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "socialsite.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # figures, not a log of every sync
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.db import connection
    from django.test.testcases import LiveServerThread
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    if not settings.SANDBOX:
        raise SystemExit("benchmarks need the sandbox providers: unset SANDBOX or set SANDBOX=true")
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        # A file of its own: the live server's threads need their own connections, and the
        # test suite's database file may be in use.
        db.setdefault("TEST", {})["NAME"] = str(Path(settings.BASE_DIR) / ".bench-db.sqlite3")
    setup_test_environment(debug=False)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "localhost", "127.0.0.1"]
    old_config = setup_databases(verbosity=0, interactive=False)
    server = LiveServerThread("localhost", StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    try:
        base = f"http://localhost:{server.port}"
        for name, value in provider_settings(base).items():
            setattr(settings, name, value)
        settings.SANDBOX_REDIRECT_URIS = redirect_uris(base)  # the app's callbacks, registered
        settings.PROVIDER_TIMEOUT = 60.0
        # Every sign-in here comes from 127.0.0.1 in a burst: measure the app, not its rate limits.
        settings.RATE_LIMITS = {
            group: {scope: "100000/m" for scope in rates} for group, rates in settings.RATE_LIMITS.items()
        }
        yield Environment(base_url=base, database=f"{connection.display_name} {_server_version(connection)}")
    finally:
        server.terminate()
        teardown_databases(old_config, verbosity=0)


def _server_version(connection: Any) -> str:
    if connection.vendor == "postgresql":
        major, rest = divmod(connection.pg_version, 10000)
        return f"{major}.{rest % 100}"
    if connection.vendor == "sqlite":
        import sqlite3

        return sqlite3.sqlite_version
    return ""


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Stopwatch:
    """Time spent waiting on the provider (accumulated by ``TimedSession``)."""

    seconds: float = 0.0
    calls: int = 0

    def add(self, seconds: float) -> None:
        self.seconds += seconds
        self.calls += 1


class TimedSession(requests.Session):
    """A client's session that books each HTTP round trip to ``watch``, and nothing else.

    ``requests`` reads the whole body before ``request`` returns, so the round trip covers
    the wire and the provider's work; decoding the JSON happens after, in the client, and
    counts as ours. ``bodies``: when given, every answer's raw body is kept there (the
    friends benchmark decodes the same pages again for its floor).
    """

    def __init__(self, watch: Stopwatch, bodies: list[bytes] | None = None) -> None:
        super().__init__()
        self.watch = watch
        self.bodies = bodies

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        started = time.perf_counter()
        try:
            response = super().request(method, url, *args, **kwargs)
        finally:
            self.watch.add(time.perf_counter() - started)
        if self.bodies is not None:
            self.bodies.append(response.content)
        return response


@dataclass
class Measurement:
    wall: float
    provider: float
    queries: int
    peak_bytes: int
    result: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ours(self) -> float:
        return self.wall - self.provider


def measure(run: Callable[[Stopwatch], T], *, prepare: Callable[[], None] | None = None) -> Measurement:
    """Run twice: once timed (queries counted), once under tracemalloc for peak memory.

    tracemalloc slows every allocation down, so time and memory come from separate runs of
    the same work (``prepare`` puts the data back in the same starting state before each).
    Peak memory covers every thread of this process, the in-process sandbox's included.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if prepare:
        prepare()
    watch = Stopwatch()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        result = run(watch)
        wall = time.perf_counter() - started
    if prepare:
        prepare()
    tracemalloc.start()
    try:
        run(Stopwatch())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return Measurement(
        wall=wall, provider=watch.seconds, queries=len(queries), peak_bytes=peak, result=result
    )


def median_seconds(run: Callable[[], Any], *, times: int) -> float:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


# --- printing ---------------------------------------------------------------------------------


def print_block(title: str, lines: list[str]) -> None:
    print()
    print(f"== {title} ==")
    for line in lines:
        print(f"  {line}")
    print(flush=True)


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    out = []
    for index, row in enumerate([header, *rows]):
        cells = [
            str(cell).ljust(w) if i == 0 else str(cell).rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        out.append("  ".join(cells))
        if index == 0:
            out.append("  ".join("-" * w for w in widths))
    return out
