"""``seed_sandbox --people/--friends-per-person/--contacts-per-person``: graphs of any size."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command

from sandbox import social
from sandbox.models import SandboxContact, SandboxFriendship, SandboxPerson
from tests.sandbox.flows import FB_VERSION, fb_dialog_url, fb_token, proof

pytestmark = pytest.mark.django_db


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_sandbox", stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def seeded(db) -> str:
    return seed(people=30, friends_per_person=10, contacts_per_person=40)


def test_counts(seeded):
    named = SandboxPerson.objects.filter(generated=False)
    generated = SandboxPerson.objects.filter(generated=True)

    assert named.count() == 8 and generated.count() == 30
    assert generated.first().name == "Sandbox Person 00001"
    assert generated.first().email == "person00001@sandbox.example"
    for person in named:
        assert SandboxFriendship.objects.filter(person=person, friend__generated=True).count() == 10
        assert SandboxFriendship.objects.filter(person=person, friend__generated=False).count() == 7
        assert SandboxContact.objects.filter(owner=person, deleted_at__isnull=True).count() == 40
    # Every friendship is stored both ways.
    assert SandboxFriendship.objects.count() == 8 * 7 + 2 * 8 * 10
    assert "Added 30 generated people" in seeded


def test_every_generated_person_uses_the_app(seeded):
    users = social.app_users(client_id=settings.FACEBOOK_APP_ID).values("person_id")

    assert SandboxPerson.objects.filter(generated=True).exclude(pk__in=users).count() == 0


def test_some_contacts_carry_a_sandbox_persons_email(seeded):
    known = set(SandboxPerson.objects.values_list("email", flat=True))
    emails = list(SandboxContact.objects.filter(owner__generated=False).values_list("email", flat=True))
    hits = sum(email in known for email in emails)

    assert 0 < hits < len(emails) * 0.15


def test_seeding_again_adds_nothing(seeded):
    before = (
        SandboxPerson.objects.count(),
        SandboxFriendship.objects.count(),
        SandboxContact.objects.count(),
    )

    seed(people=30, friends_per_person=10, contacts_per_person=40)

    assert before == (
        SandboxPerson.objects.count(),
        SandboxFriendship.objects.count(),
        SandboxContact.objects.count(),
    )


def test_growing_tops_up(seeded):
    seed(people=40, friends_per_person=15, contacts_per_person=50)

    ada = SandboxPerson.objects.get(email="ada@sandbox.example")
    assert SandboxPerson.objects.filter(generated=True).count() == 40
    assert ada.friendships.filter(friend__generated=True).count() == 15
    assert ada.contacts.count() == 50


def test_generated_friends_show_in_graph(client, seeded):
    ada = SandboxPerson.objects.get(email="ada@sandbox.example")
    token = fb_token(client, ada)

    body = client.get(
        f"/sandbox/graph/{FB_VERSION}/me/friends",
        {"limit": 100, "appsecret_proof": proof(token)},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    ).json()

    # The named roster never signed in here, so only the ten generated friends are listed.
    assert len(body["data"]) == 10 and body["summary"]["total_count"] == 17


def test_consent_pages_list_only_the_named_roster(client, seeded):
    html = client.get(fb_dialog_url()).content.decode()

    assert "Continue as Ada Lovelace" in html
    assert "Sandbox Person" not in html


def test_index_shows_counts_per_person(client, seeded):
    html = client.get("/sandbox/").content.decode()

    assert "<tr><td>Ada Lovelace</td><td>17</td><td>40</td></tr>" in html
    assert "Plus 30 generated people." in html


def test_friends_need_generated_people(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        seed(friends_per_person=5)
