"""Friends and contacts end to end: sign in through the sandbox, then read the friends page.

The live server runs the app and the sandbox providers; every sync here is real HTTP to the
sandbox's Graph ``/me/friends`` and People API ``people/me/connections``. Tasks run inline
(no broker), so the sync a login queues has run by the time its redirect lands.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from accounts.models import GrantStatus, ProviderGrant
from friends import tasks
from friends.models import Friend, FriendSyncState, SyncStatus
from friends.services import SyncResult, friends_sync
from providers.facebook.friends import GraphFriendsClient
from sandbox import seeding
from sandbox import services as sandbox
from sandbox.models import SandboxContact, SandboxPerson

CONTACTS_SCOPE = "https://www.googleapis.com/auth/contacts.readonly"
FRIENDS_SCOPE = {"facebook": "user_friends", "google": CONTACTS_SCOPE}


def section(html: str, provider: str) -> str:
    start = html.index(f'id="friends-{provider}"')
    return html[start : html.find("</section>", start)]


def listed(html: str, provider: str) -> dict[str, bool]:
    """Name -> has the "On socialsite" badge, for each person listed in a section."""
    people = {}
    for item in section(html, provider).split("<li>")[1:]:
        name = item.split('class="who-name">')[1].split("<")[0].strip()
        people[name] = "On socialsite" in item
    return people


def friends_page(browser) -> str:
    page = browser.get("/friends/")
    assert page.status_code == 200
    return page.text


def refresh(browser, provider: str) -> str:
    page = browser.get("/friends/")
    answer = browser.post_form(page, "/friends/refresh/", {"provider": provider})
    assert answer.status_code == 200 and answer.url.endswith("/friends/")
    assert "Refreshing" in answer.text
    return answer.text


def say_yes_to_being_found_by_email(browser) -> None:
    """The person answers "Yes" on their account page (contacts match only people who did)."""
    answer = browser.post_form(browser.get("/account/"), "/account/findable/", {"findable": "yes"})
    assert answer.status_code == 200


def cooldown_passed(person: SandboxPerson, provider: str) -> None:
    """Time goes by: the person's last Refresh press is older than the cooldown."""
    state = FriendSyncState.objects.get(link=grant_of(person, provider).social)
    if state.refresh_requested_at is not None:
        state.refresh_requested_at -= timedelta(seconds=settings.FRIENDS_REFRESH_COOLDOWN)
        state.save(update_fields=["refresh_requested_at"])


def grant_of(person: SandboxPerson, provider: str) -> ProviderGrant:
    uid = person.facebook_id if provider == "facebook" else person.google_sub
    return ProviderGrant.objects.select_related("social").get(provider=provider, uid=uid)


def test_facebook_friends_get_their_badge_as_they_join_and_lose_it_as_they_leave(
    browser, new_browser, ada, grace
):
    browser.login("facebook", ada)
    html = friends_page(browser)
    # Signed in alone: Graph lists no friend (none uses the app yet) but counts all seven.
    assert 'data-state="ok"' in section(html, "facebook")
    assert "0 of your 7 friends are here." in section(html, "facebook")
    assert "Last synced" in section(html, "facebook")

    grace_browser = new_browser()
    grace_browser.login("facebook", grace)  # her login syncs her friends: Ada uses the app
    assert listed(friends_page(grace_browser), "facebook") == {"Ada Lovelace": True}

    html = refresh(browser, "facebook")
    assert listed(html, "facebook") == {"Grace Hopper": True}
    assert "1 of your 7 friends is here." in section(html, "facebook")

    grace_browser.post_form(
        grace_browser.get("/account/"), "/account/delete/", {"confirm": "delete"}
    )  # she leaves: socialsite's access is revoked at Facebook too
    assert listed(friends_page(browser), "facebook") == {"Grace Hopper": False}  # at once, no sync
    cooldown_passed(ada, "facebook")
    assert listed(refresh(browser, "facebook"), "facebook") == {}  # Graph no longer lists her


def test_google_contacts_match_people_here_by_verified_email(browser, new_browser, ada, grace):
    browser.login("google", ada)
    contacts = listed(friends_page(browser), "google")
    assert contacts == {
        "Grace Hopper": False,
        "Alan Turing": False,
        "Katherine Johnson": False,
        "Charles Babbage": False,
        "Hedy Lamarr": False,
        "Claude Shannon": False,
    }

    grace_browser = new_browser()
    grace_browser.login("google", grace)
    say_yes_to_being_found_by_email(grace_browser)
    # No sync needed: being here is worked out when the page is read.
    assert listed(friends_page(browser), "google")["Grace Hopper"] is True

    # Edsger's Google email is not verified, so socialsite keeps none: he is not matched.
    edsger = SandboxPerson.objects.get(email="edsger@sandbox.example")
    edsger_browser = new_browser()
    edsger_browser.login("google", edsger)
    say_yes_to_being_found_by_email(edsger_browser)
    grace_browser = new_browser()
    grace_browser.login("google", grace)
    grace_contacts = listed(friends_page(grace_browser), "google")
    assert grace_contacts["Edsger Dijkstra"] is False
    assert grace_contacts["Alan Turing"] is False


def test_incremental_sync_applies_changes_and_deletions(browser, ada):
    browser.login("google", ada)
    grant = grant_of(ada, "google")
    assert FriendSyncState.objects.get(link=grant.social).sync_token
    alan = SandboxContact.objects.get(owner=ada, email="alan@sandbox.example")
    hedy = SandboxContact.objects.get(owner=ada, email="hedy.lamarr@example.com")
    sandbox.contact_update(contact=alan, given_name="Alan M.")
    sandbox.contact_delete(contact=hedy)
    sandbox.contact_add(owner=ada, given_name="Niklaus", family_name="Wirth", email="Niklaus@Example.com")

    outcome = friends_sync(grant=grant)

    assert outcome.result == SyncResult.OK and outcome.mode == "incremental"
    assert outcome.fetched == 3 and outcome.deleted == 1
    names = set(Friend.objects.filter(link=grant.social).values_list("name", flat=True))
    assert {"Alan M. Turing", "Niklaus Wirth"} <= names
    assert "Hedy Lamarr" not in names and "Alan Turing" not in names
    assert Friend.objects.get(link=grant.social, name="Niklaus Wirth").email == "niklaus@example.com"
    assert set(listed(friends_page(browser), "google")) == names


def test_expired_sync_token_falls_back_to_a_full_sync(browser, ada, settings):
    browser.login("google", ada)
    grant = grant_of(ada, "google")
    sandbox.contact_delete(contact=SandboxContact.objects.get(owner=ada, email="hedy.lamarr@example.com"))
    settings.SANDBOX_SYNC_TOKEN_SECONDS = 0  # every sync token is now past its seven days

    outcome = friends_sync(grant=grant)

    assert outcome.result == SyncResult.OK and outcome.mode == "full"
    assert Friend.objects.filter(link=grant.social).count() == 5
    assert not Friend.objects.filter(link=grant.social, name="Hedy Lamarr").exists()


class RevokedAfterFirstPage(GraphFriendsClient):
    """The real client; the person removes socialsite's access at Facebook after page one."""

    def __init__(self, person: SandboxPerson):
        super().__init__()
        self.person = person

    def iter_pages(self, access_token: str, *, page_size: int = 500):
        for number, page in enumerate(super().iter_pages(access_token, page_size=page_size)):
            yield page
            if number == 0:
                sandbox.grant_revoke(
                    provider="facebook", person=self.person, client_id=settings.FACEBOOK_APP_ID
                )


def test_token_revoked_mid_sync_means_needs_reconnect_and_no_retry(browser, ada):
    seeding.people_generate(count=30)  # 30 more people who use the app ...
    seeding.friends_generate(per_person=30)  # ... all friends of Ada's
    browser.login("facebook", ada)
    grant = grant_of(ada, "facebook")
    assert Friend.objects.filter(link=grant.social).count() == 30

    outcome = friends_sync(grant=grant, client=RevokedAfterFirstPage(ada), page_size=10)

    assert outcome.result == SyncResult.NEEDS_RECONNECT and not outcome.retryable
    grant.refresh_from_db()
    assert grant.status == GrantStatus.NEEDS_RECONNECT
    assert Friend.objects.filter(link=grant.social).count() == 30  # nothing lost on the way
    html = section(friends_page(browser), "facebook")
    assert 'data-state="needs_reconnect"' in html and "Reconnect" in html
    # The background task gives up at once: no token, no provider call, no retry.
    assert tasks.sync_link.apply(args=[grant.social_id]).result == "needs_reconnect"

    browser.login("facebook", ada)  # Reconnect: a new grant, and a new sync
    assert 'data-state="ok"' in section(friends_page(browser), "facebook")


def consent_without(browser, provider: str, person: SandboxPerson, scope: str):
    page = browser.start_login(provider)
    ticked = re.findall(r'name="scope" value="([^"]+)" checked', page.text)
    assert scope in ticked
    return browser.consent(page, person, scopes=[s for s in ticked if s != scope])


@pytest.mark.parametrize("provider", ["facebook", "google"])
def test_declined_permission_and_asking_again(browser, new_browser, ada, grace, provider):
    grace_browser = new_browser()
    grace_browser.login(provider, grace)  # someone for Ada to find
    say_yes_to_being_found_by_email(grace_browser)
    consent_without(browser, provider, ada, FRIENDS_SCOPE[provider])
    html = friends_page(browser)
    part = section(html, provider)
    assert 'data-state="permission_declined"' in part and "Grant permission" in part

    # "Grant permission": the provider login form with rerequest, back to the friends page.
    page = browser.get("/friends/")
    consent = browser.post_form(page, f"/login/{provider}/", {"rerequest": "1", "next": "/friends/"})
    asked_again = "auth_type=rerequest" if provider == "facebook" else "prompt=consent"
    assert asked_again in consent.url
    assert FRIENDS_SCOPE[provider] in consent.text
    back = browser.consent(consent, ada)

    assert back.url.split("#")[0].endswith("/friends/")
    assert 'data-state="ok"' in section(back.text, provider)
    assert listed(back.text, provider)["Grace Hopper"] is True
    state = FriendSyncState.objects.get(link=grant_of(ada, provider).social)
    assert state.status == SyncStatus.OK


def test_sync_friends_command_reports_a_summary(browser, new_browser, ada, grace):
    browser.login("facebook", ada)
    browser.login("google", ada)  # linked to the same person: signed in already
    new_browser().login("facebook", grace)

    out = io.StringIO()
    call_command("sync_friends", stdout=out)
    # Each friend on Facebook once; Google incremental: nothing changed since the login's sync.
    summary = "3 linked accounts: 3 synced, 0 need reconnect, 0 permission declined, 0 failed"
    assert summary in out.getvalue()
    assert "2 people fetched, 0 removed" in out.getvalue()

    out = io.StringIO()
    call_command("sync_friends", "--user", "ada@sandbox.example", "--provider", "google", stdout=out)
    assert out.getvalue().strip().startswith("1 linked account: 1 synced")

    with pytest.raises(CommandError, match="No person"):
        call_command("sync_friends", "--user", "nobody@example.com")


def test_periodic_sync_fans_out_to_every_usable_grant(browser, new_browser, ada, grace):
    browser.login("facebook", ada)
    new_browser().login("facebook", grace)
    gone = grant_of(grace, "facebook")
    gone.status = GrantStatus.REVOKED
    gone.save()
    FriendSyncState.objects.update(status=SyncStatus.NEVER_SYNCED, last_success_at=None)

    assert tasks.sync_everyone.apply().result == 1

    assert FriendSyncState.objects.get(link=grant_of(ada, "facebook").social).status == SyncStatus.OK
    assert FriendSyncState.objects.get(link=gone.social).status == SyncStatus.NEVER_SYNCED


def test_friend_data_goes_with_the_link(browser, ada):
    from providers.facebook.services import facebook_data_delete

    browser.login("facebook", ada)
    browser.login("google", ada)
    link = grant_of(ada, "facebook").social
    Friend.objects.create(
        link=link, provider="facebook", external_id="1", name="Someone", synced_at=link.created
    )

    facebook_data_delete(uid=ada.facebook_id, request_hash="h" * 64)

    assert not Friend.objects.filter(provider="facebook").exists()
    assert not FriendSyncState.objects.filter(link_id=link.pk).exists()
    assert Friend.objects.filter(provider="google").exists()  # the Google link and its contacts stay
