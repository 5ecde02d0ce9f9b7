"""``manage.py rotate_token_keys``: batched, resumable, idempotent re-encryption."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts import vault
from accounts.models import ProviderGrant
from tests.factories import make_grant

OLD_KEY = vault.generate_key()
NEW_KEY = vault.generate_key()


def rotate(**options) -> str:
    out = StringIO()
    call_command("rotate_token_keys", stdout=out, **options)
    return out.getvalue()


@pytest.mark.django_db
def test_rotation_interrupted_then_resumed_then_old_key_removed(settings):
    settings.TOKEN_ENCRYPTION_KEYS = [OLD_KEY]
    plaintexts = {make_grant(access_token=f"at-{i}", refresh_token=f"rt-{i}").pk: i for i in range(5)}
    settings.TOKEN_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]

    first = rotate(batch_size=2, max_batches=1)  # "interrupted" after one batch
    assert first.startswith("2 rotated, 0 already current")
    assert "3 left to do" in first

    second = rotate(batch_size=2)
    assert second.startswith("3 rotated, 2 already current, 0 unreadable")

    assert rotate(batch_size=2).startswith("0 rotated, 5 already current")  # idempotent

    settings.TOKEN_ENCRYPTION_KEYS = [NEW_KEY]  # the old key is gone
    for grant in ProviderGrant.objects.all():
        i = plaintexts[grant.pk]
        assert grant.get_access_token() == f"at-{i}"
        assert grant.get_refresh_token() == f"rt-{i}"


@pytest.mark.django_db
def test_rotation_reports_rows_no_key_opens(settings):
    settings.TOKEN_ENCRYPTION_KEYS = [vault.generate_key()]
    make_grant(access_token="lost")
    settings.TOKEN_ENCRYPTION_KEYS = [NEW_KEY]

    assert "1 unreadable" in rotate()
