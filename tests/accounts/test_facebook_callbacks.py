"""Facebook's deauthorize and data-deletion callbacks: signed, verified, harmless to replay.

https://developers.facebook.com/docs/facebook-login/guides/advanced/deauth-callback
https://developers.facebook.com/docs/development/create-an-app/app-dashboard/data-deletion-callback
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone
from social_django.models import UserSocialAuth

from accounts.models import DataDeletionRequest, GrantStatus, ProviderGrant, User
from providers.facebook.signed_request import sign
from tests.factories import LinkFactory, UserFactory, make_grant

pytestmark = pytest.mark.django_db

DEAUTHORIZE = "/facebook/deauthorize/"
DATA_DELETION = "/facebook/data-deletion/"
FB_UID = "10150000000000001"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed(**overrides) -> str:
    payload = {"algorithm": "HMAC-SHA256", "issued_at": int(time.time()), "user_id": FB_UID, **overrides}
    return sign({k: v for k, v in payload.items() if v is not None}, settings.FACEBOOK_APP_SECRET)


def signed_raw(payload_bytes: bytes, secret: str | None = None) -> str:
    """Sign arbitrary payload bytes (not necessarily JSON, not necessarily an object)."""
    body = b64url(payload_bytes)
    key = (secret or settings.FACEBOOK_APP_SECRET).encode()
    return f"{b64url(hmac.new(key, body.encode(), hashlib.sha256).digest())}.{body}"


@pytest.fixture
def facebook_user() -> User:
    """A person who signs in with Facebook only, with tokens stored."""
    # As the sign-in pipeline creates people: no usable password (the factory's default "" counts as one).
    link = LinkFactory(user=UserFactory(password=make_password(None)), provider="facebook", uid=FB_UID)
    make_grant(link=link, access_token="fb-at-callback-test", scopes=["public_profile", "email"])
    # Stored an hour ago, as a grant is by the time its owner removes the app.
    ProviderGrant.objects.filter(social=link).update(updated_at=timezone.now() - timedelta(hours=1))
    return link.user


def facebook_grant() -> ProviderGrant:
    return ProviderGrant.objects.get(provider="facebook", uid=FB_UID)


def snapshot() -> dict[str, object]:
    """Every row these callbacks may touch, as values: "no change" means this stays equal."""
    return {
        "users": list(User.objects.order_by("pk").values()),
        "links": list(UserSocialAuth.objects.order_by("pk").values()),
        "grants": list(ProviderGrant.objects.order_by("pk").values()),
        "deletions": list(DataDeletionRequest.objects.order_by("pk").values()),
        "sessions": list(Session.objects.order_by("pk").values_list("pk", flat=True)),
    }


# --- Deauthorize -------------------------------------------------------------------------------


def test_deauthorize_forgets_the_tokens_and_marks_the_link_revoked(client, facebook_user):
    response = client.post(DEAUTHORIZE, {"signed_request": signed()})

    assert response.status_code == 200
    assert response.json() == {"success": True}
    grant = facebook_grant()
    assert grant.status == GrantStatus.REVOKED
    assert grant.access_token_ciphertext == ""
    assert grant.refresh_token_ciphertext == ""
    assert grant.expires_at is None
    assert UserSocialAuth.objects.filter(provider="facebook", uid=FB_UID).exists()  # the link stays


def test_after_deauthorize_the_connections_page_offers_reconnect(client, facebook_user):
    client.post(DEAUTHORIZE, {"signed_request": signed()})

    client.force_login(facebook_user)
    page = client.get("/account/").content.decode()

    row = page.split('id="link-facebook"', 1)[1].split("</tr>", 1)[0]
    assert "Revoked" in row
    assert "Reconnect" in row


def test_deauthorize_needs_no_csrf_token(facebook_user):
    strict = Client(enforce_csrf_checks=True)

    assert strict.post(DEAUTHORIZE, {"signed_request": signed()}).status_code == 200


def test_deauthorize_for_someone_unknown_is_fine(client, facebook_user):
    before = snapshot()

    response = client.post(DEAUTHORIZE, {"signed_request": signed(user_id="10999999999")})

    assert response.status_code == 200
    assert snapshot() == before


def test_a_replayed_deauthorize_does_not_cut_off_a_grant_made_since(client, facebook_user):
    request = signed(issued_at=int(time.time()) - 60)  # captured a minute ago
    client.post(DEAUTHORIZE, {"signed_request": request})
    # The person comes back and signs in with Facebook again: a fresh grant.
    grant = facebook_grant()
    grant.status = GrantStatus.ACTIVE
    grant.set_access_token("fb-at-after-reconnect")
    grant.save()

    replay = client.post(DEAUTHORIZE, {"signed_request": request})

    assert replay.status_code == 200
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE
    assert grant.get_access_token() == "fb-at-after-reconnect"


# --- Data deletion ------------------------------------------------------------------------------


def test_data_deletion_deletes_link_grant_and_a_person_left_without_sign_in(client, facebook_user):
    client.force_login(facebook_user)

    response = client.post(DATA_DELETION, {"signed_request": signed()})

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"url", "confirmation_code"}
    assert not UserSocialAuth.objects.filter(provider="facebook", uid=FB_UID).exists()
    assert not ProviderGrant.objects.filter(provider="facebook", uid=FB_UID).exists()
    assert not User.objects.filter(pk=facebook_user.pk).exists()
    assert not Session.objects.exists()  # signed out everywhere
    record = DataDeletionRequest.objects.get()
    assert record.confirmation_code == body["confirmation_code"]
    assert record.deleted_links == 1
    assert FB_UID not in str(list(DataDeletionRequest.objects.values()))  # the id is forgotten


def test_data_deletion_answers_a_status_page_for_its_code(client, facebook_user):
    body = client.post(DATA_DELETION, {"signed_request": signed()}).json()

    assert body["url"] == f"http://testserver/facebook/data-deletion/{body['confirmation_code']}/"
    page = Client().get(body["url"])  # public: Facebook shows the link to the person
    assert page.status_code == 200
    assert body["confirmation_code"] in page.content.decode()
    assert Client().get("/facebook/data-deletion/not-a-code/").status_code == 404


def test_data_deletion_keeps_a_person_who_can_still_sign_in_with_google(client, facebook_user):
    google = LinkFactory(user=facebook_user, provider="google")
    make_grant(link=google, access_token="g-at-keep", refresh_token="g-rt-keep")

    client.post(DATA_DELETION, {"signed_request": signed()})

    facebook_user.refresh_from_db()
    assert list(UserSocialAuth.objects.filter(user=facebook_user).values_list("provider", flat=True)) == [
        "google"
    ]
    assert ProviderGrant.objects.get(provider="google").get_refresh_token() == "g-rt-keep"
    assert not ProviderGrant.objects.filter(provider="facebook").exists()


def test_data_deletion_keeps_a_person_with_a_password(client, facebook_user):
    facebook_user.set_password("correct horse battery staple")
    facebook_user.save()

    client.post(DATA_DELETION, {"signed_request": signed()})

    assert User.objects.filter(pk=facebook_user.pk).exists()
    assert not UserSocialAuth.objects.filter(user=facebook_user).exists()


def test_a_replayed_data_deletion_answers_the_same_code_and_changes_nothing(client, facebook_user):
    request = signed()
    first = client.post(DATA_DELETION, {"signed_request": request}).json()
    # The person signs in with Facebook again afterwards.
    relinked = LinkFactory(provider="facebook", uid=FB_UID)
    make_grant(link=relinked, access_token="fb-at-new")
    before = snapshot()

    replay = client.post(DATA_DELETION, {"signed_request": request})

    assert replay.status_code == 200
    assert replay.json() == first
    assert snapshot() == before


def test_a_doctored_copy_of_the_signature_is_still_a_replay(client, facebook_user):
    """base64 decoding ignores stray characters and a signature's spare low bits: the
    doctored copy verifies, but must not count as a new request."""
    request = signed()
    first = client.post(DATA_DELETION, {"signed_request": request}).json()
    LinkFactory(provider="facebook", uid=FB_UID)  # signed in again since
    signature, payload = request.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    spare_bits = signature[:-1] + alphabet[alphabet.index(signature[-1]) ^ 1]
    before = snapshot()

    for doctored in (f"{signature}!!!!.{payload}", f"{spare_bits}.{payload}"):
        replay = client.post(DATA_DELETION, {"signed_request": doctored})
        assert replay.status_code == 200
        assert replay.json() == first
    assert snapshot() == before


# --- Refused requests ---------------------------------------------------------------------------


def _tampered() -> str:
    """A genuine signature over a payload that then had another person's id swapped in."""
    signature, _ = signed().split(".")
    payload = {"algorithm": "HMAC-SHA256", "issued_at": int(time.time()), "user_id": "10150000000000002"}
    return f"{signature}.{b64url(json.dumps(payload).encode())}"


BAD_REQUESTS = {
    "forged signature": lambda: sign(
        {"algorithm": "HMAC-SHA256", "issued_at": int(time.time()), "user_id": FB_UID}, "not-the-app-secret"
    ),
    "tampered payload": _tampered,
    "wrong algorithm": lambda: signed(algorithm="HMAC-SHA1"),
    "no algorithm": lambda: signed(algorithm=None),
    "stale": lambda: signed(issued_at=int(time.time()) - 2 * 3600),
    "from the future": lambda: signed(issued_at=int(time.time()) + 3600),
    "issued_at not a number": lambda: signed(issued_at=str(int(time.time()))),
    "missing issued_at": lambda: signed(issued_at=None),
    "missing user_id": lambda: signed(user_id=None),
    "user_id not digits": lambda: signed(user_id="../admin"),
    "payload not JSON": lambda: signed_raw(b"not json at all"),
    "payload a list": lambda: signed_raw(b'["HMAC-SHA256"]'),
    "payload not UTF-8": lambda: signed_raw(b"\xff\xfe\xfd"),
    "garbage": lambda: "garbage",
    "three parts": lambda: signed() + ".extra",
    "non-ASCII": lambda: "é." + signed().split(".")[1],
    "too long": lambda: "a" * 10000 + "." + "b",
    "empty": lambda: "",
}


@pytest.mark.parametrize("endpoint", [DEAUTHORIZE, DATA_DELETION])
@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_a_bad_signed_request_is_refused_with_400_and_changes_nothing(client, facebook_user, endpoint, case):
    client.force_login(facebook_user)
    before = snapshot()

    response = client.post(endpoint, {"signed_request": BAD_REQUESTS[case]()})

    assert response.status_code == 400
    assert response.json() == {"error": "invalid signed_request"}
    assert snapshot() == before
    assert facebook_grant().get_access_token() == "fb-at-callback-test"


@pytest.mark.parametrize("endpoint", [DEAUTHORIZE, DATA_DELETION])
def test_a_post_without_the_field_is_refused(client, facebook_user, endpoint):
    before = snapshot()

    assert client.post(endpoint, {}).status_code == 400
    assert client.post(endpoint, b"{}", content_type="application/json").status_code == 400
    assert snapshot() == before


@pytest.mark.parametrize("endpoint", [DEAUTHORIZE, DATA_DELETION])
def test_callbacks_only_take_post(client, facebook_user, endpoint):
    before = snapshot()

    assert client.get(endpoint, {"signed_request": signed()}).status_code == 405
    assert client.put(endpoint).status_code == 405
    assert snapshot() == before


def test_other_users_are_untouched(client, facebook_user):
    bystander = UserFactory()
    link = LinkFactory(user=bystander, provider="facebook", uid="10150000000000009")
    make_grant(link=link, access_token="fb-at-bystander")

    client.post(DEAUTHORIZE, {"signed_request": signed()})
    client.post(DATA_DELETION, {"signed_request": signed()})

    assert ProviderGrant.objects.get(uid="10150000000000009").get_access_token() == "fb-at-bystander"
    assert User.objects.filter(pk=bystander.pk).exists()
