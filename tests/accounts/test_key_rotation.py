"""``manage.py rotate_token_keys``: batched, resumable, idempotent, honest about what is left.

What the operator sees is the command's output and its exit status (``CommandError`` carries
the status ``manage.py`` exits with).
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts import vault
from accounts.models import ProviderGrant
from tests.factories import make_grant

OLD_KEY = vault.generate_key()
NEW_KEY = vault.generate_key()


def rotate(*args: str, **options) -> tuple[str, int]:
    """The command's output (stdout, then the error line) and the status manage.py exits with."""
    out = StringIO()
    try:
        call_command("rotate_token_keys", *args, stdout=out, **options)
    except CommandError as error:
        return out.getvalue() + f"CommandError: {error}\n", error.returncode
    return out.getvalue(), 0


def ciphertexts() -> list[tuple[str, str]]:
    fields = ("access_token_ciphertext", "refresh_token_ciphertext")
    return list(ProviderGrant.objects.order_by("pk").values_list(*fields))


@pytest.mark.django_db
def test_rotation_interrupted_then_resumed_then_old_key_removed(settings):
    settings.TOKEN_ENCRYPTION_KEYS = [OLD_KEY]
    plaintexts = {make_grant(access_token=f"at-{i}", refresh_token=f"rt-{i}").pk: i for i in range(5)}
    settings.TOKEN_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]

    first, status = rotate(batch_size=2, max_batches=1)  # "interrupted" after one batch
    assert first.startswith("2 rotated, 0 already current")
    assert "6 left to do" in first and status == 1  # 3 rows x 2 tokens, and it says so

    second, status = rotate(batch_size=2)
    assert second.startswith("3 rotated, 2 already current, 0 unreadable")
    assert "0 left to do" in second and status == 0

    again, status = rotate(batch_size=2)  # idempotent
    assert again.startswith("0 rotated, 5 already current") and status == 0

    settings.TOKEN_ENCRYPTION_KEYS = [NEW_KEY]  # the old key is gone
    for grant in ProviderGrant.objects.all():
        i = plaintexts[grant.pk]
        assert grant.get_access_token() == f"at-{i}"
        assert grant.get_refresh_token() == f"rt-{i}"


@pytest.mark.django_db
def test_rotation_never_says_done_while_a_token_no_key_opens_remains(settings):
    settings.TOKEN_ENCRYPTION_KEYS = [vault.generate_key()]
    make_grant(access_token="lost")
    settings.TOKEN_ENCRYPTION_KEYS = [NEW_KEY]
    before = ciphertexts()

    out, status = rotate()

    assert "1 unreadable" in out
    assert "1 left to do" in out and "0 left to do" not in out
    assert status != 0
    assert ciphertexts() == before  # reported, never touched


@pytest.mark.django_db
def test_the_left_count_re_reads_the_whole_table(settings):
    """A row written back under an old key after the pass went by (a process still on the old
    key list) is found by the closing re-check, not assumed done."""
    settings.TOKEN_ENCRYPTION_KEYS = [OLD_KEY]
    grant = make_grant(access_token="at", refresh_token="rt")
    make_grant(access_token="at-2")
    settings.TOKEN_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert rotate()[1] == 0

    settings.TOKEN_ENCRYPTION_KEYS = [OLD_KEY]  # a process that never got the new key writes
    grant.refresh_from_db()
    grant.set_refresh_token("rt")
    grant.save(update_fields=["refresh_token_ciphertext"])
    settings.TOKEN_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]

    out, status = rotate("--check")
    assert "key 1 (newest): 2" in out and "key 2: 1" in out and "unreadable: 0" in out
    assert status != 0


@pytest.mark.django_db
def test_check_counts_what_each_key_opens_and_changes_nothing(settings):
    lost_key = vault.generate_key()
    settings.TOKEN_ENCRYPTION_KEYS = [OLD_KEY]
    make_grant(access_token="old-1", refresh_token="old-r1")
    make_grant(access_token="old-2")
    settings.TOKEN_ENCRYPTION_KEYS = [lost_key]
    make_grant(access_token="lost")
    settings.TOKEN_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    make_grant(access_token="new-1", refresh_token="new-r1")
    before = ciphertexts()

    out, status = rotate("--check")

    assert out.splitlines()[:3] == ["key 1 (newest): 2", "key 2: 3", "unreadable: 1"]
    assert status == 1
    assert ciphertexts() == before  # read-only

    rotate()
    out, status = rotate("--check")
    assert out.splitlines()[:3] == ["key 1 (newest): 5", "key 2: 0", "unreadable: 1"]
    assert status == 1  # the unreadable one still needs its key


@pytest.mark.django_db
def test_check_exits_zero_when_the_old_key_can_go(settings):
    settings.TOKEN_ENCRYPTION_KEYS = [OLD_KEY]
    make_grant(access_token="at", refresh_token="rt")
    settings.TOKEN_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    rotate()

    out, status = rotate("--check")

    assert out.splitlines()[:3] == ["key 1 (newest): 2", "key 2: 0", "unreadable: 0"]
    assert status == 0
