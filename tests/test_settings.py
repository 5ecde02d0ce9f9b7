"""Production settings: what an operator sees when they start the project with DEBUG off.

Each case runs ``manage.py`` in a fresh process, because settings are read once at import.
The environment is built from scratch (no DATABASE_URL, REDIS_URL or developer variables
leak in), so each test states every variable that matters to it.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

MANAGE_PY = Path(__file__).resolve().parents[1] / "manage.py"
_PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


def production_env(**overrides: str | None) -> dict[str, str]:
    """A complete production environment; an override of ``None`` removes that variable."""
    env = {name: os.environ[name] for name in _PASSED_THROUGH if name in os.environ}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        TOKEN_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        FACEBOOK_APP_ID="1234567890",
        FACEBOOK_APP_SECRET=secrets.token_hex(16),
        GOOGLE_CLIENT_ID="1234567890-example.apps.googleusercontent.com",
        GOOGLE_CLIENT_SECRET=secrets.token_urlsafe(24),
        ALLOWED_HOSTS="socialsite.example",
        CSRF_TRUSTED_ORIGINS="https://socialsite.example",
        # `check` never connects to it; production needs a broker configured to start at all.
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(MANAGE_PY), *args],
        env=env,
        cwd=MANAGE_PY.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_environment_passes_the_deploy_checks():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "TOKEN_ENCRYPTION_KEYS", "FACEBOOK_APP_SECRET", "GOOGLE_CLIENT_ID"]
)
def test_production_refuses_to_start_without_a_secret_and_names_it(missing):
    result = manage("check", env=production_env(**{missing: None}))

    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr


def test_production_refuses_the_sandbox_unless_forced():
    refused = manage("check", env=production_env(SANDBOX="true"))
    assert refused.returncode != 0
    assert "SANDBOX_FORCE" in refused.stderr

    forced = manage("check", env=production_env(SANDBOX="true", SANDBOX_FORCE="true"))
    assert forced.returncode == 0, forced.stdout + forced.stderr


@pytest.mark.parametrize("keys", ["not-a-fernet-key", f"{Fernet.generate_key().decode()},short"])
def test_malformed_token_encryption_keys_fail_the_system_check(keys):
    result = manage("check", env=production_env(TOKEN_ENCRYPTION_KEYS=keys))

    assert result.returncode != 0
    assert "accounts.E001" in result.stderr
    assert keys not in result.stdout + result.stderr  # the check names the entry, never the key


def test_production_refuses_to_start_without_a_broker_and_names_redis_url():
    result = manage("check", env=production_env(REDIS_URL=None))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "REDIS_URL is not set" in result.stderr
    assert "TASKS_INLINE" in result.stderr  # and says how a single box opts out


def test_a_celery_broker_url_is_a_broker_too():
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; print(s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER)",
        env=production_env(REDIS_URL=None, CELERY_BROKER_URL="amqp://guest@127.0.0.1:5672//"),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["amqp://guest@127.0.0.1:5672//", "False"]


def test_tasks_inline_is_an_explicit_opt_in_for_a_single_box():
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.CELERY_TASK_ALWAYS_EAGER)",
        env=production_env(REDIS_URL=None, TASKS_INLINE="true"),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True"]
