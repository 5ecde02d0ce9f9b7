"""What a person sees while the worker does what they asked: no page waits on a provider.

The tasks are published to a queue no worker consumes, so the "in progress" state can be
looked at for as long as needed; then the task is run here, the way the worker runs it,
and the page shows the outcome.
"""

from __future__ import annotations

import pytest
from social_django.models import UserSocialAuth

from accounts import tasks
from accounts.models import ProviderGrant, User
from sandbox.models import SandboxToken

pytestmark = pytest.mark.worker


@pytest.fixture
def nobody_consumes():
    from socialsite.celery import app

    previous = app.conf.task_default_queue
    app.conf.task_default_queue = "suite-nobody-consumes"
    yield
    app.conf.task_default_queue = previous


def test_disconnect_shows_disconnecting_then_done(nobody_consumes, browser, ada):
    browser.login("facebook", ada)
    browser.consent(browser.post_form(browser.get("/account/"), "/login/google/"), ada)
    google = ProviderGrant.objects.get(provider="google")

    page = browser.post_form(browser.get("/account/"), "/account/disconnect/google/")

    assert page.url.endswith("/account/?disconnected=google")
    assert "Disconnecting…" in page.text and 'http-equiv="refresh"' in page.text
    assert 'action="/account/disconnect/google/"' not in page.text  # no second, dead click
    assert UserSocialAuth.objects.filter(provider="google").exists()

    tasks.disconnect_grant.apply(args=[google.pk])  # what the worker does with the message

    done = browser.get(page.url)
    assert "Google is disconnected" in done.text and 'http-equiv="refresh"' not in done.text
    assert not SandboxToken.objects.filter(provider="google", person=ada, revoked_at__isnull=True).exists()


def test_delete_my_account_signs_out_at_once_then_shows_deleting_until_done(nobody_consumes, browser, ada):
    browser.login("google", ada)
    user_id = browser.user().pk

    page = browser.post_form(browser.get("/account/"), "/account/delete/", {"confirm": "delete"})

    assert browser.user() is None
    assert "Deleting your account…" in page.text and 'http-equiv="refresh"' in page.text
    assert not User.objects.get(pk=user_id).is_active  # cannot sign in meanwhile

    tasks.delete_account.apply(args=[user_id])

    done = browser.get(page.url)
    assert "Account deleted" in done.text and 'http-equiv="refresh"' not in done.text
    assert not User.objects.filter(pk=user_id).exists()
    assert not SandboxToken.objects.filter(provider="google", person=ada, revoked_at__isnull=True).exists()


def test_a_deletion_ticket_that_is_not_ours_goes_home(browser, sandbox):
    assert browser.get("/account/deleting/forged-ticket/").url.endswith("/")


def test_friends_refresh_shows_the_sync_under_way_then_its_result(nobody_consumes, browser, ada):
    from friends import tasks as friends_tasks

    browser.login("google", ada)
    link = UserSocialAuth.objects.get()
    friends_tasks.sync_link.apply(args=[link.pk])  # the sync the sign-in queued
    assert 'http-equiv="refresh"' not in browser.get("/friends/").text

    answer = browser.post_form(browser.get("/friends/"), "/friends/refresh/", {"provider": "google"})

    assert "Refreshing" in answer.text
    assert "right now" in answer.text and 'http-equiv="refresh"' in answer.text
    assert "Fetch now" not in answer.text and ">Refresh<" not in answer.text  # no dead click

    friends_tasks.sync_link.apply(args=[link.pk])

    done = browser.get("/friends/")
    assert 'http-equiv="refresh"' not in done.text and "Last synced" in done.text
