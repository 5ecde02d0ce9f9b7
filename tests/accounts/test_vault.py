"""The token vault: encryption at rest, key rotation, and what an unreadable token means."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from accounts import vault
from accounts.exceptions import NoUsableToken, TokenKeyMissing, TokenUnreadable
from accounts.models import KEY_MISSING, GrantStatus, ProviderGrant
from tests.factories import LinkFactory, make_grant

OLD_KEY = vault.generate_key()
NEW_KEY = vault.generate_key()


@pytest.fixture
def keys(settings):
    settings.TOKEN_ENCRYPTION_KEYS = [OLD_KEY]
    return settings


def test_ciphertext_never_contains_the_token_and_opens_for_its_identity(keys):
    sealed = vault.seal_token("sbx-g-at-secret", provider="google", uid="42")
    assert "sbx-g-at-secret" not in sealed
    assert vault.open_token(sealed, provider="google", uid="42") == "sbx-g-at-secret"


def test_ciphertext_copied_to_another_identity_does_not_open(keys):
    sealed = vault.seal_token("sbx-g-at-secret", provider="google", uid="42")
    with pytest.raises(TokenUnreadable):
        vault.open_token(sealed, provider="google", uid="43")
    with pytest.raises(TokenUnreadable):
        vault.open_token(sealed, provider="facebook", uid="42")


@pytest.mark.django_db
def test_rotation_keeps_rows_written_under_the_old_key_readable(keys):
    grant = make_grant(access_token="old-key-token")
    keys.TOKEN_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]  # new key first, old one still listed
    grant.refresh_from_db()
    assert grant.get_access_token() == "old-key-token"
    assert not vault.is_current(grant.access_token_ciphertext)

    grant.set_access_token("new-key-token")
    grant.save()
    assert vault.is_current(grant.access_token_ciphertext)
    keys.TOKEN_ENCRYPTION_KEYS = [NEW_KEY]  # old key removed: the rewritten row still opens
    grant.refresh_from_db()
    assert grant.get_access_token() == "new-key-token"


@pytest.mark.django_db
def test_a_token_no_configured_key_opens_is_key_missing_not_a_crash(keys):
    grant = make_grant(access_token="written-under-old-key")
    keys.TOKEN_ENCRYPTION_KEYS = [NEW_KEY]  # the old key is gone
    grant = ProviderGrant.objects.get(pk=grant.pk)
    assert grant.effective_status == KEY_MISSING  # an operator fault, not "needs reconnect"
    with pytest.raises(TokenKeyMissing):  # still a NoUsableToken for callers that only need that
        grant.get_access_token()
    keys.TOKEN_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]  # the key is back: so is the grant
    assert grant.effective_status == GrantStatus.ACTIVE
    assert grant.get_access_token() == "written-under-old-key"


@pytest.mark.django_db
def test_a_ciphertext_of_another_identity_still_means_needs_reconnect(keys):
    grant = make_grant(access_token="mine")
    other = make_grant(access_token="theirs")
    ProviderGrant.objects.filter(pk=grant.pk).update(access_token_ciphertext=other.access_token_ciphertext)
    grant.refresh_from_db()
    assert grant.effective_status == GrantStatus.NEEDS_RECONNECT
    with pytest.raises(NoUsableToken):
        grant.get_access_token()


@pytest.mark.django_db
def test_str_and_repr_never_show_a_token(keys):
    grant = make_grant(link=LinkFactory(provider="facebook", uid="777"), access_token="sbx-fb-at-visible?")
    for text in (str(grant), repr(grant)):
        assert "sbx-fb-at-visible?" not in text
        assert grant.access_token_ciphertext not in text


@pytest.mark.parametrize(
    "bad_keys",
    [[], ["not-a-fernet-key"], ["c2hvcnQ="], [OLD_KEY, "zzz"]],
    ids=["empty", "garbage", "too-short", "second-entry-bad"],
)
def test_system_check_rejects_a_missing_or_malformed_key_list(settings, bad_keys):
    settings.TOKEN_ENCRYPTION_KEYS = bad_keys
    with pytest.raises(SystemCheckError, match=r"accounts\.E001"):
        call_command("check")


def test_system_check_accepts_a_good_key_list(settings):
    settings.TOKEN_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    call_command("check")
