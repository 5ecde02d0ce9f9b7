"""A real Celery worker process for ``worker`` tests: consumes from REDIS_URL, writes to the test DB."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

from sandbox.endpoints import provider_settings
from socialsite.env import database_url

ROOT = Path(__file__).resolve().parent.parent


class Worker:
    def __init__(self, env: dict[str, str]):
        self.log = ROOT / "artifacts" / "celery-worker.log"
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


def start_worker(sandbox_url: str) -> Worker:
    env = {
        **os.environ,  # the provider and mode variables already dropped by tests/settings.py
        # The project's settings: the suite's own would drop the provider URLs set here.
        "DJANGO_SETTINGS_MODULE": "socialsite.settings",
        **provider_settings(sandbox_url),
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": os.environ["REDIS_URL"],
        "TOKEN_ENCRYPTION_KEYS": ",".join(settings.TOKEN_ENCRYPTION_KEYS),
        "PYTHONUNBUFFERED": "1",
    }
    worker = Worker(env)
    worker.wait_ready()
    return worker
