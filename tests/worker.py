"""A real Celery worker process for ``worker`` tests: consumes from the broker, writes to the test DB.

The broker is CELERY_BROKER_URL when set (CI's RabbitMQ run), else REDIS_URL. Every test run
has its own queue names and budget keys (``RUN``), so runs of several engineers sharing one
RabbitMQ or Redis never take each other's messages or spend each other's budgets.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import connection

from sandbox.endpoints import provider_settings
from socialsite.env import database_url

ROOT = Path(__file__).resolve().parent.parent
# Set by tests/conftest.py before anything starts, so every process of the run inherits them.
RUN = os.environ.get("SOCIALSITE_TEST_RUN") or uuid.uuid4().hex[:10]
QUEUE = os.environ.get("CELERY_QUEUE") or f"socialsite-test-{RUN}"
BUDGET_PREFIX = os.environ.get("PROVIDER_BUDGET_PREFIX") or f"budget:run-{RUN}:"


class Worker:
    def __init__(self, env: dict[str, str], *, name: str = "celery-worker"):
        self.log = ROOT / "artifacts" / f"{name}.log"
        self.log.parent.mkdir(exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "socialsite",
            "worker",
            "--pool",
            "solo",
            "--loglevel",
            "INFO",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            # People's own syncs and the schedule's, as `make worker` (see socialsite.settings).
            "-Q",
            f"{env['CELERY_QUEUE']},{env['CELERY_QUEUE']}.scheduled",
            "--hostname",
            f"{name}-{RUN}@%h",
        ]
        self._out = self.log.open("w")
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"celery worker exited ({self.process.returncode}): {self.log.read_text()[-2000:]}"
                )
            if "ready." in self.log.read_text():
                return
            time.sleep(0.2)
        raise RuntimeError(f"celery worker not ready after {timeout}s: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._out.close()


def _env(sandbox_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,  # the provider and mode variables already dropped by tests/settings.py
        # The project's settings: the suite's own would drop the provider URLs set here.
        "DJANGO_SETTINGS_MODULE": "socialsite.settings",
        **provider_settings(sandbox_url),
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": os.environ["REDIS_URL"],
        "PYTHONUNBUFFERED": "1",
        "CELERY_QUEUE": QUEUE,
        "PROVIDER_BUDGET_PREFIX": BUDGET_PREFIX,
        **extra,
    }


def worker_seal_env(public_key: str, private_key: str, fernet_keys: tuple[str, ...] = ()) -> dict[str, str]:
    """What sealed mode's worker is given: the role, the public key and the private keys."""
    env = {
        "TOKEN_VAULT": "sealed",
        "PROCESS_ROLE": "worker",
        "TOKEN_SEAL_PUBLIC_KEY": public_key,
        "TOKEN_SEAL_PRIVATE_KEYS": private_key,
    }
    if fernet_keys:
        env["TOKEN_ENCRYPTION_KEYS"] = ",".join(fernet_keys)
    return env


def start_worker(
    sandbox_url: str, *, broker_url: str | None = None, name: str = "celery-worker", **extra: str
) -> Worker:
    """The suite's worker, in the suite's mode (sealed: it alone gets the private key), on this
    run's queues; ``broker_url`` overrides the broker (REDIS_URL stays the cache)."""
    env = _env(sandbox_url, **extra)
    if settings.TOKEN_VAULT == "sealed":
        env.pop("TOKEN_ENCRYPTION_KEYS", None)
        env.update(worker_seal_env(settings.TOKEN_SEAL_PUBLIC_KEY, os.environ["SUITE_SEAL_PRIVATE_KEY"]))
    else:
        env["TOKEN_ENCRYPTION_KEYS"] = ",".join(settings.TOKEN_ENCRYPTION_KEYS)
    if broker_url:
        env["CELERY_BROKER_URL"] = broker_url
    worker = Worker(env, name=name)
    worker.wait_ready()
    return worker


# This run's sealed worker's queue (and its ``.scheduled`` twin), beside the suite's own.
SEALED_QUEUE = f"{QUEUE}-sealed"


def start_sealed_worker(sandbox_url: str, *, public_key: str, private_key: str) -> Worker:
    """A sealed-mode worker beside the suite's own, on a queue of its own (``SEALED_QUEUE``),
    for the sealed tests of a suite that otherwise runs in shared mode."""
    env = _env(sandbox_url, CELERY_QUEUE=SEALED_QUEUE)
    env.pop("TOKEN_ENCRYPTION_KEYS", None)
    env.update(worker_seal_env(public_key, private_key))
    worker = Worker(env, name="celery-worker-sealed")
    worker.wait_ready()
    return worker


def publish_to_this_runs_queue() -> None:
    """This process queues where this run's workers consume (the app was configured at import)."""
    from socialsite.celery import app

    app.conf.task_default_queue = QUEUE
    settings.CELERY_TASK_DEFAULT_QUEUE = QUEUE
    settings.FRIENDS_SCHEDULED_QUEUE = f"{QUEUE}.scheduled"
