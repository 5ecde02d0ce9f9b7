"""Sign-ins started and never finished leave bounded state, and stale state is cleaned up.

Before: 200 starts from one session left 200 Nonce rows (and, for Google's OpenID Connect,
200 Association rows) and a session of about 35 KB.
"""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.utils import timezone
from social_django.models import Association, Nonce, Partial

from accounts import tasks
from accounts.models import User


# Google (OpenID Connect: nonce, PKCE verifier) leaves the most behind; Facebook the same kind.
@pytest.mark.parametrize(("provider", "count"), [("google", 200), ("facebook", 50)])
def test_two_hundred_starts_from_one_session_leave_bounded_state(browser, ada, settings, provider, count):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "login": {"address": "1000/m", "person": "1000/m"}}
    home = browser.get("/")
    starts = [browser.post_form(home, f"/login/{provider}/", allow_redirects=False) for _ in range(count)]
    assert {start.status_code for start in starts} == {302}

    keep = settings.LOGIN_PENDING_PER_SESSION
    assert Nonce.objects.count() == keep
    assert Association.objects.count() == (keep if provider == "google" else 0)
    session = Session.objects.get(pk=browser.session.cookies["sessionid"])
    assert len(session.session_data) < 4096

    # The newest sign-in still completes; one of the dropped ones says it has expired.
    newest = browser.get(starts[-1].headers["Location"])
    assert browser.consent(newest, ada).status_code == 200
    assert browser.user() == User.objects.get()
    browser.logout()
    oldest = browser.consent(browser.get(starts[0].headers["Location"]), ada)
    assert oldest.status_code == 403 and "This sign-in link has expired" in oldest.text
    assert browser.user() is None


@pytest.fixture
def stale_and_fresh(db):
    now = int(time.time())
    hours_ago = now - 2 * 3600
    Nonce.objects.create(server_url="social_core.oauth2.google", timestamp=hours_ago, salt="stale")
    Nonce.objects.create(server_url="social_core.oauth2.google", timestamp=now, salt="fresh")
    Association.objects.create(
        server_url="https://issuer",
        handle="stale",
        secret="",
        issued=hours_ago,
        lifetime=1800,
        assoc_type="s1",
    )
    Association.objects.create(
        server_url="https://issuer", handle="fresh", secret="", issued=now, lifetime=1800, assoc_type="s2"
    )
    old = Partial.objects.create(token="stale", next_step=1, backend="google", data={})
    Partial.objects.filter(pk=old.pk).update(timestamp=timezone.now() - timedelta(days=2))
    Partial.objects.create(token="fresh", next_step=1, backend="google", data={})
    for key, expires in (("expired", -1), ("live", +1)):
        store = SessionStore()
        store["x"] = key
        store.create()
        Session.objects.filter(pk=store.session_key).update(
            expire_date=timezone.now() + timedelta(days=expires)
        )


def remaining() -> dict[str, set[str]]:
    return {
        "nonces": set(Nonce.objects.values_list("salt", flat=True)),
        "associations": set(Association.objects.values_list("handle", flat=True)),
        "partials": set(Partial.objects.values_list("token", flat=True)),
        "sessions": {s.get_decoded()["x"] for s in Session.objects.all()},
    }


FRESH_ONLY = {"nonces": {"fresh"}, "associations": {"fresh"}, "partials": {"fresh"}, "sessions": {"live"}}


def test_the_cleanup_command_removes_stale_login_state_and_expired_sessions(stale_and_fresh):
    out = io.StringIO()
    call_command("clean_login_state", stdout=out)

    assert remaining() == FRESH_ONLY
    assert "1 nonces, 1 associations, 1 partials, 0 codes, 1 sessions removed" in out.getvalue()


def test_the_cleanup_runs_on_the_beat_schedule(stale_and_fresh):
    schedule = {entry["task"]: entry for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert schedule["accounts.tasks.clean_login_state"]["schedule"] <= 3600

    tasks.clean_login_state.delay()

    assert remaining() == FRESH_ONLY
