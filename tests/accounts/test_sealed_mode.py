"""Sealed mode: what each process can open, how it refuses to start, rotation and migration.

Settings of a "web" and a "worker" process are read from real processes (``manage.py`` with
that process's environment), so the tests hold each to exactly what it would be given.
"""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, SealedBox

from accounts import vault
from accounts.exceptions import OpenRefused
from accounts.models import CIPHERTEXT_FIELDS, ProviderGrant
from accounts.vault_sealed import generate_keypair, public_of
from tests.factories import LinkFactory, make_grant
from tests.test_settings import manage, production_env

PUBLIC, PRIVATE = generate_keypair()
NEW_PUBLIC, NEW_PRIVATE = generate_keypair()
FERNET_KEY = Fernet.generate_key().decode()

# The settings a process holds that could be key material.
KEY_SETTINGS = ("SECRET_KEY", "TOKEN_ENCRYPTION_KEYS", "TOKEN_SEAL_PUBLIC_KEY", "TOKEN_SEAL_PRIVATE_KEYS")


def sealed_env(role: str, **overrides: str | None) -> dict[str, str]:
    """A production environment of sealed mode's ``role`` process, as the README deploys it."""
    env = production_env(
        TOKEN_VAULT="sealed", PROCESS_ROLE=role, TOKEN_SEAL_PUBLIC_KEY=PUBLIC, TOKEN_ENCRYPTION_KEYS=None
    )
    if role == "worker":
        env["TOKEN_SEAL_PRIVATE_KEYS"] = PRIVATE
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def settings_of(env: dict[str, str]) -> dict[str, object]:
    """The vault's settings exactly as a process started with ``env`` holds them."""
    names = [*KEY_SETTINGS, "TOKEN_VAULT", "PROCESS_ROLE"]
    code = (
        "import json; from django.conf import settings as s; "
        f"print(json.dumps({{n: getattr(s, n) for n in {names}}}))"
    )
    result = manage("shell", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def opens_with(grant: ProviderGrant, *, worker_private_key: str, public_key: str) -> bool:
    """True when the worker's keys open every ciphertext of ``grant`` (for its own identity)."""
    with override_settings(
        TOKEN_VAULT="sealed",
        PROCESS_ROLE="worker",
        TOKEN_SEAL_PUBLIC_KEY=public_key,
        TOKEN_SEAL_PRIVATE_KEYS=[worker_private_key],
    ):
        for field in CIPHERTEXT_FIELDS:
            ciphertext = getattr(grant, field)
            if ciphertext:
                vault.open_token(ciphertext, provider=grant.provider, uid=grant.uid)
    return True


def candidate_keys(value: str) -> list[bytes]:
    """Every 32-byte key a holder of ``value`` could try: the value itself, decoded, or hashed."""
    keys = [hashlib.sha256(value.encode()).digest(), hashlib.sha256(f"vault:{value}".encode()).digest()]
    try:
        raw = base64.urlsafe_b64decode(value.encode())
    except ValueError:
        raw = b""
    if len(raw) == 32:
        keys.append(raw)
    return keys


def any_key_opens(ciphertext: str, values: list[str]) -> bool:
    """Try every candidate key, as a sealed-box private key and as a Fernet key."""
    sealed = ciphertext.startswith("s1.")
    body = base64.urlsafe_b64decode(ciphertext.rsplit(".", 1)[-1]) if sealed else b""
    for value in values:
        for key in candidate_keys(value):
            try:
                if sealed:
                    SealedBox(PrivateKey(key)).decrypt(body)
                else:
                    Fernet(base64.urlsafe_b64encode(key)).decrypt(ciphertext.encode())
            except (CryptoError, InvalidToken, ValueError):
                continue
            return True
    return False


def flatten(held: dict[str, object]) -> list[str]:
    values: list[str] = []
    for name in KEY_SETTINGS:
        value = held[name]
        values.extend(value if isinstance(value, list) else [value] if value else [])  # type: ignore[list-item]
    return values


@pytest.fixture
def sealed_worker_settings(settings):
    settings.TOKEN_VAULT = "sealed"
    settings.PROCESS_ROLE = "worker"
    settings.TOKEN_SEAL_PUBLIC_KEY = PUBLIC
    settings.TOKEN_SEAL_PRIVATE_KEYS = [PRIVATE]
    settings.TOKEN_ENCRYPTION_KEYS = []
    return settings


def as_web(settings) -> None:
    settings.PROCESS_ROLE = "web"
    settings.TOKEN_SEAL_PRIVATE_KEYS = []
    settings.TOKEN_ENCRYPTION_KEYS = []


# --- what each process can open --------------------------------------------------------------


@pytest.mark.django_db
def test_the_webs_keys_open_no_stored_token_and_the_workers_open_them_all(settings):
    web = settings_of(sealed_env("web"))
    worker = settings_of(sealed_env("worker"))
    assert web["TOKEN_SEAL_PRIVATE_KEYS"] == [] and web["TOKEN_ENCRYPTION_KEYS"] == []

    for name in (*KEY_SETTINGS, "TOKEN_VAULT", "PROCESS_ROLE"):
        setattr(settings, name, web[name])
    grants = [
        make_grant(link=LinkFactory(provider=p), access_token=f"sbx-at-{p}", refresh_token=f"sbx-rt-{p}")
        for p in ["google", "facebook", "google"]
    ]
    stored = [(g, getattr(g, f)) for g in grants for f in CIPHERTEXT_FIELDS if getattr(g, f)]
    assert len(stored) == 6

    # The web: every key it holds fails on every ciphertext, and the vault refuses outright.
    held = flatten(web)
    assert held, "the web holds at least SECRET_KEY and the public key"
    for grant, ciphertext in stored:
        assert not any_key_opens(ciphertext, held)
        with pytest.raises(OpenRefused):
            vault.open_token(ciphertext, provider=grant.provider, uid=grant.uid)

    # The worker: every one opens, for its own identity.
    for name in (*KEY_SETTINGS, "TOKEN_VAULT", "PROCESS_ROLE"):
        setattr(settings, name, worker[name])
    for grant, ciphertext in stored:
        assert vault.open_token(ciphertext, provider=grant.provider, uid=grant.uid).startswith("sbx-")
    assert any_key_opens(stored[0][1], flatten(worker))  # the check above can tell


def test_a_sealed_token_stays_bound_to_its_identity(sealed_worker_settings):
    ciphertext = vault.seal_token("sbx-g-at-secret", provider="google", uid="42")
    assert ciphertext.startswith("s1.") and "sbx-g-at-secret" not in ciphertext
    assert vault.open_token(ciphertext, provider="google", uid="42") == "sbx-g-at-secret"
    from accounts.exceptions import TokenUnreadable

    with pytest.raises(TokenUnreadable):
        vault.open_token(ciphertext, provider="google", uid="43")
    with pytest.raises(TokenUnreadable):
        vault.open_token(ciphertext, provider="facebook", uid="42")


@pytest.mark.django_db
def test_the_web_renders_every_page_about_a_grant_without_opening_it(client, admin_client, settings):
    settings.TOKEN_VAULT, settings.TOKEN_SEAL_PUBLIC_KEY = "sealed", PUBLIC
    as_web(settings)
    link = LinkFactory(provider="google")
    make_grant(link=link, access_token="sbx-at", refresh_token="sbx-rt")
    before = vault.open_counts()

    client.force_login(link.user)
    assert "Active" in client.get("/account/").content.decode()
    assert client.get("/friends/").status_code == 200
    changelist = admin_client.get("/admin/accounts/providergrant/").content.decode()
    assert "Sealed (only the worker opens it)" in changelist
    assert client.get("/healthz/").json() == {"status": "ok", "unreadable_grants": 0}

    assert vault.open_counts() == before


# --- refusing to start -----------------------------------------------------------------------


def test_a_web_process_given_a_private_key_refuses_to_start_naming_it():
    result = manage("check", env=sealed_env("web", TOKEN_SEAL_PRIVATE_KEYS=PRIVATE))
    assert result.returncode != 0
    assert "TOKEN_SEAL_PRIVATE_KEYS is set on a web process" in result.stderr
    assert PRIVATE not in result.stderr


def test_a_web_process_given_the_fernet_keys_in_sealed_mode_refuses_to_start():
    result = manage("check", env=sealed_env("web", TOKEN_ENCRYPTION_KEYS=FERNET_KEY))
    assert result.returncode != 0 and "TOKEN_ENCRYPTION_KEYS is set on a web process" in result.stderr


@pytest.mark.parametrize("role", ["web", "worker"])
def test_sealed_mode_without_a_broker_refuses_to_start(role):
    result = manage("check", env=sealed_env(role, REDIS_URL=None, CELERY_BROKER_URL=None))
    assert result.returncode != 0
    assert "Sealed mode needs a broker (REDIS_URL or CELERY_BROKER_URL)" in result.stderr


def test_sealed_mode_refuses_tasks_inline():
    result = manage("check", env=sealed_env("web", TASKS_INLINE="true"))
    assert result.returncode != 0 and "TASKS_INLINE is on in sealed mode" in result.stderr


def test_the_worker_refuses_to_start_without_its_private_key_or_with_a_mismatched_pair():
    missing = manage("check", env=sealed_env("worker", TOKEN_SEAL_PRIVATE_KEYS=None))
    assert missing.returncode != 0 and "TOKEN_SEAL_PRIVATE_KEYS is not set on the worker" in missing.stderr
    mismatched = manage("check", env=sealed_env("worker", TOKEN_SEAL_PRIVATE_KEYS=NEW_PRIVATE))
    assert mismatched.returncode != 0 and "not the public half" in mismatched.stderr


@pytest.mark.parametrize("role", ["web", "worker", "beat"])
def test_each_sealed_process_starts_with_what_the_readme_gives_it(role):
    result = manage("check", env=sealed_env(role))
    assert result.returncode == 0, result.stderr


# --- rotation and migration, interrupted and resumed -----------------------------------------


def run(command: str, *args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command(command, *args, stdout=out)
    except CommandError as error:
        return error.returncode, out.getvalue() + str(error)
    return 0, out.getvalue()


def make_grants(count: int) -> list[ProviderGrant]:
    return [make_grant(access_token=f"sbx-at-{i}", refresh_token=f"sbx-rt-{i}") for i in range(count)]


def all_open(grants: list[ProviderGrant]) -> bool:
    for i, grant in enumerate(grants):
        grant.refresh_from_db()
        assert grant.get_access_token() == f"sbx-at-{i}"
        assert grant.get_refresh_token() == f"sbx-rt-{i}"
    return True


@pytest.mark.django_db
def test_sealed_rotation_interrupted_midway_resumes_and_every_token_still_opens(sealed_worker_settings):
    grants = make_grants(5)
    # The new pair: the worker gets both private keys (newest first) and the new public key.
    sealed_worker_settings.TOKEN_SEAL_PUBLIC_KEY = NEW_PUBLIC
    sealed_worker_settings.TOKEN_SEAL_PRIVATE_KEYS = [NEW_PRIVATE, PRIVATE]

    code, out = run("rotate_token_keys", "--batch-size", "2", "--max-batches", "1")
    assert code == 1 and "still under an old key" in out  # interrupted: exits non-zero
    assert all_open(grants)  # half rotated, all readable
    code, out = run("rotate_token_keys", "--check")
    assert code == 1 and "key 1 (newest): 4" in out and "key 2: 6" in out

    code, out = run("rotate_token_keys", "--batch-size", "2")
    assert code == 0, out
    assert "0 left to do" in out
    sealed_worker_settings.TOKEN_SEAL_PRIVATE_KEYS = [NEW_PRIVATE]  # the old key can go
    assert all_open(grants)


@pytest.mark.django_db
def test_rotation_in_sealed_mode_runs_only_on_the_worker(sealed_worker_settings):
    make_grants(1)
    as_web(sealed_worker_settings)
    code, out = run("rotate_token_keys")
    assert code == 2 and "runs on the worker" in out


@pytest.mark.django_db
def test_shared_to_sealed_migration_interrupted_midway_resumes_and_every_token_still_opens(settings):
    settings.TOKEN_ENCRYPTION_KEYS = [FERNET_KEY]
    grants = make_grants(5)  # written in shared mode: Fernet
    assert all(vault.scheme_of(g.access_token_ciphertext) == vault.FERNET for g in grants)
    # The worker with both configurations.
    settings.TOKEN_VAULT, settings.PROCESS_ROLE = "sealed", "worker"
    settings.TOKEN_SEAL_PUBLIC_KEY, settings.TOKEN_SEAL_PRIVATE_KEYS = PUBLIC, [PRIVATE]

    code, out = run("seal_stored_tokens", "--batch-size", "2", "--max-batches", "1")
    assert code == 1 and "6 left to do" in out
    assert all_open(grants)  # meanwhile the worker opens both kinds
    code, out = run("rotate_token_keys", "--check")
    assert code == 1 and "not sealed yet (Fernet, for seal_stored_tokens): 6" in out

    code, out = run("seal_stored_tokens", "--batch-size", "2")
    assert code == 0 and "0 left to do" in out, out
    settings.TOKEN_ENCRYPTION_KEYS = []  # the Fernet keys can go
    assert all_open(grants)
    assert all(vault.scheme_of(g.refresh_token_ciphertext) == vault.SEALED for g in grants)
    assert run("rotate_token_keys", "--check")[0] == 0


@pytest.mark.django_db
def test_migration_refuses_without_the_fernet_keys_or_off_the_worker(sealed_worker_settings):
    code, out = run("seal_stored_tokens")
    assert code == 2 and "TOKEN_ENCRYPTION_KEYS is not set" in out
    sealed_worker_settings.TOKEN_ENCRYPTION_KEYS = [FERNET_KEY]
    as_web(sealed_worker_settings)
    code, out = run("seal_stored_tokens")
    assert code == 2 and "runs on the worker" in out


def test_make_keypair_prints_a_pair_a_sealed_worker_starts_with():
    root = Path(__file__).resolve().parents[2]
    # -o: the targets depend on the (shared) virtualenv's stamp; never rebuild it from a test.
    printed = subprocess.run(
        ["make", "-s", "-o", ".venv/.installed", "keypair"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert printed.returncode == 0, printed.stderr
    pair = dict(line.split("=", 1) for line in printed.stdout.split())
    assert set(pair) == {"TOKEN_SEAL_PUBLIC_KEY", "TOKEN_SEAL_PRIVATE_KEYS"}
    assert public_of(pair["TOKEN_SEAL_PRIVATE_KEYS"]) == pair["TOKEN_SEAL_PUBLIC_KEY"]
    result = manage("check", env=sealed_env("worker", **pair))
    assert result.returncode == 0, result.stderr


@pytest.mark.django_db
def test_refresh_tokens_in_sealed_mode_runs_only_on_the_worker(sealed_worker_settings):
    as_web(sealed_worker_settings)
    code, out = run("refresh_tokens")
    assert code == 2 and "runs on the worker" in out


@pytest.mark.django_db
def test_sync_friends_in_sealed_mode_runs_only_on_the_worker(sealed_worker_settings):
    as_web(sealed_worker_settings)
    code, out = run("sync_friends")
    assert code == 2 and "runs on the worker" in out
