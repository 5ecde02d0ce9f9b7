"""The linked-accounts admin: useful to an operator, and never a token or ciphertext on a page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone
from social_django.models import UserSocialAuth

from accounts import vault
from accounts.models import GrantStatus, ProviderGrant
from sandbox.models import SandboxPerson, SandboxToken
from tests.factories import LinkFactory, UserFactory, make_grant
from tests.login_fixtures import Browser

CHANGELIST = "/admin/accounts/providergrant/"


def secrets_of(grants: list[ProviderGrant]) -> list[str]:
    """Everything that must never show: each grant's plaintext tokens and both ciphertexts."""
    values: list[str] = []
    for grant in ProviderGrant.objects.filter(pk__in=[g.pk for g in grants]):
        values += [grant.access_token_ciphertext, grant.refresh_token_ciphertext]
        values.append(grant.get_access_token())
        if grant.has_refresh_token:
            values.append(grant.get_refresh_token())
    return [value for value in values if value]


def assert_no_secret(html: str, grants: list[ProviderGrant]) -> None:
    secrets = secrets_of(grants)
    assert secrets, "the test needs grants with tokens"
    for secret in secrets:
        assert secret not in html
    # Not even a fragment of a Fernet token (they all start alike) or the column names.
    assert "gAAAAA" not in html
    assert "ciphertext" not in html


@pytest.fixture
def grants(db) -> list[ProviderGrant]:
    ada = UserFactory(email="ada@example.com", username="ada")
    grace = UserFactory(email="grace@example.com", username="grace")
    soon = timezone.now() + timedelta(minutes=3)
    return [
        make_grant(
            link=LinkFactory(user=ada, provider="google", uid="110000000000000000001"),
            access_token="ya29.ada-access-token-PLAINTEXT",
            refresh_token="1//ada-refresh-token-PLAINTEXT",
            scopes=["openid", "email"],
            expires_at=soon,
        ),
        make_grant(
            link=LinkFactory(user=ada, provider="facebook", uid="10150000000000001"),
            access_token="EAAB-ada-facebook-token-PLAINTEXT",
            scopes=["public_profile", "email"],
            expires_at=soon + timedelta(days=50),
        ),
        make_grant(
            link=LinkFactory(user=grace, provider="google", uid="110000000000000000002"),
            access_token="ya29.grace-access-token-PLAINTEXT",
            refresh_token="1//grace-refresh-token-PLAINTEXT",
            status=GrantStatus.ACTIVE,
            last_error="",
        ),
    ]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?provider=google",
        "?status__exact=active",
        "?provider=facebook&status__exact=active",
        "?q=110000000000000000001",
        "?q=ada%40example.com",
        "?o=-5",
        "?key=missing",
        "?key=ok",
    ],
)
def test_changelist_filters_and_search_show_no_secret(admin_client, grants, query):
    response = admin_client.get(CHANGELIST + query)

    assert response.status_code == 200
    assert_no_secret(response.content.decode(), grants)


def test_changelist_lists_what_an_operator_needs(admin_client, grants):
    html = admin_client.get(CHANGELIST).content.decode()

    for grant in grants:
        assert grant.uid in html
    assert "Refresh now" in html and "Revoke and unlink" in html
    assert "By provider" in html and "By status" in html


def test_unreadable_grants_have_their_own_filter_and_state(admin_client, grants, settings):
    """A grant a process could not open (key missing) is listed under its own filter, its
    tokens kept; the column says why, checked with the keys this process holds."""
    lost = grants[2]
    ProviderGrant.objects.filter(pk=lost.pk).update(key_missing_since=timezone.now())
    keys = list(settings.TOKEN_ENCRYPTION_KEYS)
    settings.TOKEN_ENCRYPTION_KEYS = [vault.generate_key()]  # this process lacks the key too

    page = admin_client.get(CHANGELIST, {"key": "missing"})

    html = page.content.decode()
    assert [grant.pk for grant in page.context["cl"].result_list] == [lost.pk]
    assert "By encryption key" in html and "Unreadable: encryption key missing" in html
    settings.TOKEN_ENCRYPTION_KEYS = keys
    assert_no_secret(html, grants)
    readable = admin_client.get(CHANGELIST, {"key": "ok"}).context["cl"].result_list
    assert sorted(grant.pk for grant in readable) == sorted(grant.pk for grant in grants if grant != lost)


def test_search_finds_by_uid_and_by_user_email(admin_client, grants):
    by_uid = admin_client.get(CHANGELIST, {"q": "110000000000000000002"}).context["cl"]
    by_email = admin_client.get(CHANGELIST, {"q": "ada@example.com"}).context["cl"]

    assert [g.uid for g in by_uid.result_list] == ["110000000000000000002"]
    assert {g.uid for g in by_email.result_list} == {"110000000000000000001", "10150000000000001"}


def test_change_history_and_delete_pages_show_no_secret(admin_client, grants):
    for grant in grants:
        for page in ("change", "history", "delete"):
            response = admin_client.get(f"{CHANGELIST}{grant.pk}/{page}/")
            assert response.status_code == 200, (page, response.status_code)
            assert_no_secret(response.content.decode(), grants)


def test_bulk_delete_confirmation_shows_no_secret(admin_client, grants):
    response = admin_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [g.pk for g in grants]}
    )

    assert response.status_code == 200
    assert "Are you sure" in response.content.decode()
    assert_no_secret(response.content.decode(), grants)


def test_user_pages_with_the_linked_accounts_inline_show_no_secret(admin_client, grants):
    user = grants[0].social.user

    change = admin_client.get(f"/admin/accounts/user/{user.pk}/change/")
    delete = admin_client.get(f"/admin/accounts/user/{user.pk}/delete/")

    assert change.status_code == 200 and delete.status_code == 200
    html = change.content.decode()
    assert "110000000000000000001" in html and "10150000000000001" in html  # the inline
    assert_no_secret(html, grants)
    assert_no_secret(delete.content.decode(), grants)


def test_the_change_form_cannot_write_a_token(admin_client, grants):
    grant = grants[0]
    before = ProviderGrant.objects.get(pk=grant.pk).access_token_ciphertext

    admin_client.post(
        f"{CHANGELIST}{grant.pk}/change/",
        {"access_token_ciphertext": "planted", "status": "revoked", "uid": "changed"},
    )

    grant.refresh_from_db()
    assert grant.access_token_ciphertext == before
    assert grant.status == GrantStatus.ACTIVE and grant.uid == "110000000000000000001"
    assert_no_secret(str(list(LogEntry.objects.values())), grants)


def test_grants_cannot_be_added_by_hand(admin_client, db):
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403


def test_social_djangos_own_admins_are_gone(admin_client, db):
    for path in ("usersocialauth", "nonce", "association"):
        assert admin_client.get(f"/admin/social_django/{path}/").status_code == 404


def test_staff_without_permission_cannot_see_grants(client, grants):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)

    assert client.get(CHANGELIST).status_code == 403


# --- Actions, against the live sandbox -----------------------------------------------------------


def _google_login(browser: Browser) -> tuple[SandboxPerson, ProviderGrant]:
    ada = SandboxPerson.objects.order_by("pk")[0]
    browser.login("google", ada)
    return ada, ProviderGrant.objects.get(provider="google", uid=ada.google_sub)


def test_refresh_now_moves_the_expiry_and_history_records_no_token(admin_client, browser, settings):
    settings.SANDBOX_GOOGLE_TOKEN_SECONDS = 60  # the login's token is about to lapse
    _, grant = _google_login(browser)
    before = grant.expires_at
    settings.SANDBOX_GOOGLE_TOKEN_SECONDS = 3599
    old_secrets = secrets_of([grant])

    page = admin_client.post(
        CHANGELIST, {"action": "refresh_now", "_selected_action": [grant.pk]}, follow=True
    )

    assert page.status_code == 200
    assert "Refresh: 1 refreshed." in page.content.decode()
    grant.refresh_from_db()
    assert grant.expires_at > before + timedelta(minutes=50)
    assert grant.last_refreshed_at is not None
    history = admin_client.get(f"{CHANGELIST}{grant.pk}/history/").content.decode()
    assert "Refresh now: refreshed." in history
    log = str(list(LogEntry.objects.values()))
    for secret in old_secrets + secrets_of([grant]):
        assert secret not in history
        assert secret not in log
        assert secret not in page.content.decode()


def test_revoke_and_unlink_revokes_at_the_sandbox_and_removes_the_link(admin_client, browser):
    ada, grant = _google_login(browser)
    stored = secrets_of([grant])

    page = admin_client.post(
        CHANGELIST, {"action": "revoke_and_unlink", "_selected_action": [grant.pk]}, follow=True
    )

    assert "Revoked and unlinked 1 account(s)." in page.content.decode()
    assert not ProviderGrant.objects.filter(pk=grant.pk).exists()
    assert not UserSocialAuth.objects.filter(provider="google", uid=ada.google_sub).exists()
    # The provider's side: the grant is dead, access and refresh token alike.
    issued = SandboxToken.objects.filter(person=ada, provider="google")
    assert issued.exists()
    assert not issued.filter(revoked_at__isnull=True).exists()
    # The deletion is in the admin's history, without a token.
    entry = LogEntry.objects.get(object_id=str(grant.pk))
    assert entry.is_deletion()
    for secret in stored:
        assert secret not in str(list(LogEntry.objects.values()))
