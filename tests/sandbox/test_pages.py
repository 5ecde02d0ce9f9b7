"""The sandbox's pages, the seeding command and the boundaries (CSRF, sessions)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from sandbox import faults
from sandbox.models import SandboxFault, SandboxPerson
from tests.sandbox.flows import GoogleAuth, fb_dialog_url, fb_token_request, g_code, g_exchange

pytestmark = pytest.mark.django_db


def test_index_explains_the_sandbox_and_lists_the_roster(client):
    page = client.get("/sandbox/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "Sandbox providers" in html
    assert "no real" in html.lower() or "No real" in html
    for name in ("Ada Lovelace", "Grace Hopper", "Alan Turing", "Barbara Liskov"):
        assert name in html
    assert "http://testserver/sandbox/google" in html
    assert "No fault armed" in html


def test_index_lists_armed_faults(client, arm):
    arm("google", "userinfo", "rate_limited", times=3)

    html = client.get("/sandbox/").content.decode()

    assert "rate_limited" in html and "userinfo" in html


def test_faults_can_be_armed_and_cleared_by_hand(client):
    response = client.post(
        "/sandbox/faults/arm/", {"target": "facebook/me", "mode": "http_500", "times": "2"}
    )

    assert response.status_code == 302
    assert [(f.provider, f.endpoint, f.mode, f.remaining) for f in faults.armed()] == [
        ("facebook", "me", "http_500", 2)
    ]
    client.post("/sandbox/faults/clear/")
    assert faults.armed() == []


def test_an_impossible_fault_is_refused_on_the_form(client):
    response = client.post(
        "/sandbox/faults/arm/", {"target": "facebook/me", "mode": "id_token_expired", "times": "1"}
    )

    assert response.status_code == 400
    assert not SandboxFault.objects.exists()


def test_arming_by_hand_needs_the_csrf_token(db):
    response = Client(enforce_csrf_checks=True).post(
        "/sandbox/faults/arm/", {"target": "facebook/me", "mode": "http_500", "times": "1"}
    )

    assert response.status_code == 403


def test_consent_forms_need_the_csrf_token(people):
    browser = Client(enforce_csrf_checks=True)

    assert browser.post(fb_dialog_url(), {"person": people[0].pk}).status_code == 403
    assert browser.post(GoogleAuth.new().authorize_url(), {"person": people[0].pk}).status_code == 403


def test_provider_endpoints_need_neither_csrf_nor_a_session(client, ada):
    auth = GoogleAuth.new()
    code = g_code(client, ada, auth)
    backend = Client(enforce_csrf_checks=True)  # a server-side HTTP client: no cookies at all

    assert g_exchange(backend, code, auth).status_code == 200
    assert not backend.cookies


def test_facebook_token_endpoint_needs_no_session(client, ada):
    from tests.sandbox.flows import fb_code

    code = fb_code(client, ada)

    assert fb_token_request(Client(enforce_csrf_checks=True), code).status_code == 200


def test_seed_command_seeds_eight_people_once(capsys):
    call_command("seed_sandbox", "--if-empty")
    call_command("seed_sandbox", "--if-empty")

    assert SandboxPerson.objects.count() == 8
    assert SandboxPerson.objects.filter(email_verified=False).count() == 1
    ids = list(SandboxPerson.objects.values_list("facebook_id", "google_sub"))
    assert all(fb.isdigit() and sub.isdigit() for fb, sub in ids)


def test_seed_command_without_if_empty_tops_the_roster_up(people):
    SandboxPerson.objects.filter(email="ada@sandbox.example").delete()

    call_command("seed_sandbox")

    assert SandboxPerson.objects.filter(email="ada@sandbox.example").exists()
    assert SandboxPerson.objects.count() == 8


def test_avatar_is_an_svg_with_initials(client, ada):
    response = client.get(f"/sandbox/avatars/{ada.pk}.svg")

    assert response["Content-Type"] == "image/svg+xml"
    assert b">AL</text>" in response.content
