"""GitHub's settings in production: enabled when its credentials are given, never in the way otherwise."""

from __future__ import annotations

import secrets

from tests.test_settings import manage, production_env

SHOW = "from django.conf import settings; print(settings.SOCIALSITE_PROVIDERS, settings.GITHUB_API_URL)"


def test_a_deployment_without_github_credentials_starts_without_github():
    result = manage("shell", "--no-imports", "-c", "from django.conf import settings; "
                    "print(settings.SOCIALSITE_PROVIDERS)", env=production_env())  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['facebook', 'google']"


def test_github_credentials_enable_github_on_its_real_hosts():
    env = production_env(GITHUB_CLIENT_ID="Iv1.0123456789abcdef", GITHUB_CLIENT_SECRET=secrets.token_hex(20))

    result = manage("shell", "--no-imports", "-c", SHOW, env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['facebook', 'google', 'github'] https://api.github.com"


def test_half_the_github_credentials_names_the_missing_one():
    result = manage("check", env=production_env(GITHUB_CLIENT_ID="Iv1.0123456789abcdef"))

    assert result.returncode != 0
    assert "GITHUB_CLIENT_SECRET is not set" in result.stderr


def test_an_explicit_provider_list_wins():
    env = production_env(SOCIALSITE_PROVIDERS="google,facebook")

    result = manage("shell", "--no-imports", "-c", "from django.conf import settings; "
                    "print(settings.SOCIALSITE_PROVIDERS)", env=env)  # fmt: skip

    assert result.stdout.strip() == "['google', 'facebook']", result.stderr
