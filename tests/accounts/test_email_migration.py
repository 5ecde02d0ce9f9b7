"""Data migration 0007: an email nobody verified is forgotten, so it cannot make anyone findable."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from tests.factories import LinkFactory, UserFactory

migration = importlib.import_module("accounts.migrations.0007_forget_unverified_provider_emails")


@pytest.mark.django_db
def test_only_emails_a_verifying_provider_vouched_for_are_kept():
    facebook_only = UserFactory(email="fb-only@example.com", findable_by_email=True)
    LinkFactory(user=facebook_only, provider="facebook")
    with_google = UserFactory(email="both@example.com")
    LinkFactory(user=with_google, provider="facebook")
    LinkFactory(user=with_google, provider="google")

    migration.forget_unverified_emails(apps, None)

    facebook_only.refresh_from_db()
    with_google.refresh_from_db()
    assert facebook_only.email == ""
    assert with_google.email == "both@example.com"
