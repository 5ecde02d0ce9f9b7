"""The friends page: every state in its own words and button, on-site badges, search, paging, cost."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import vault
from accounts.models import GrantStatus
from friends.models import SYNC_LEASE, Friend, SyncStatus
from tests.factories import LinkFactory, UserFactory, make_grant
from tests.friends.factories import FacebookFriendFactory, GoogleContactFactory, SyncStateFactory

pytestmark = pytest.mark.django_db

URL = "/friends/"
CONTACTS_SCOPE = "https://www.googleapis.com/auth/contacts.readonly"
# Session, user, links; then an aggregate and a page of rows per linked provider.
PAGE_QUERY_BOUND = 8


@pytest.fixture
def person():
    return UserFactory(email="me@example.com")


@pytest.fixture
def fb_link(person):
    link = LinkFactory(user=person, provider="facebook")
    make_grant(link=link, scopes=["email", "user_friends"])
    return link


@pytest.fixture
def g_link(person):
    link = LinkFactory(user=person, provider="google")
    make_grant(link=link, scopes=["openid", "email", CONTACTS_SCOPE])
    return link


@pytest.fixture
def page(client, person):
    client.force_login(person)

    def get(**params):
        response = client.get(URL, params)
        assert response.status_code == 200
        return response.content.decode()

    return get


def section(html: str, provider: str) -> str:
    start = html.index(f'id="friends-{provider}"')
    end = html.find("</section>", start)
    return html[start:end]


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and response.url.startswith("/?next=")


# --- every state ----------------------------------------------------------------------------


def test_not_linked_offers_connect(page):
    html = page()
    for provider, label in [("facebook", "Facebook"), ("google", "Google")]:
        part = section(html, provider)
        assert 'data-state="not_linked"' in part
        assert f"You have not linked {label}" in part
        assert f"Connect {label}" in part and f'action="/login/{provider}/"' in part


def test_never_synced_offers_fetch_now(page, fb_link):
    part = section(page(), "facebook")
    assert 'data-state="never_synced"' in part
    assert "We have not fetched your Facebook friends yet" in part
    assert "Fetch now" in part and 'action="/friends/refresh/"' in part


def test_syncing_says_so(page, fb_link):
    SyncStateFactory(
        link=fb_link,
        status=SyncStatus.SYNCING,
        started_at=timezone.now(),
        syncing_until=timezone.now() + SYNC_LEASE,
    )
    part = section(page(), "facebook")
    assert 'data-state="syncing"' in part and "fetching your Facebook friends right now" in part
    assert "Reload this page" in part


def test_a_sync_that_never_finished_shows_as_failed(page, fb_link):
    SyncStateFactory(
        link=fb_link,
        status=SyncStatus.SYNCING,
        started_at=timezone.now() - timedelta(hours=2),
        syncing_until=timezone.now() - timedelta(hours=1),
    )
    part = section(page(), "facebook")
    assert 'data-state="failed"' in part and "did not finish" in part and "Try again" in part


def test_failed_says_why_and_offers_try_again(page, g_link):
    SyncStateFactory(
        link=g_link,
        status=SyncStatus.FAILED,
        last_error="Google did not answer properly (HTTP 503). We will try again.",
    )
    part = section(page(), "google")
    assert 'data-state="failed"' in part
    assert "failed: Google did not answer properly (HTTP 503)" in part
    assert "Try again" in part


def test_unavailable_says_so_plainly_and_keeps_the_operators_message_off_the_page(page, g_link):
    action = "Enable the People API (people.googleapis.com) in Google Cloud project projects/1: https://x"
    SyncStateFactory(link=g_link, status=SyncStatus.UNAVAILABLE, last_error=action)
    part = section(page(), "google")
    assert 'data-state="unavailable"' in part
    assert "Your Google contacts are unavailable right now" in part
    assert "Try again" in part
    assert "Grant permission" not in part and "People API" not in part and "projects/1" not in part


def test_needs_reconnect_offers_reconnect(page, fb_link):
    fb_link.grant.status = GrantStatus.NEEDS_RECONNECT
    fb_link.grant.save()
    SyncStateFactory(link=fb_link, status=SyncStatus.NEEDS_RECONNECT)
    FacebookFriendFactory(link=fb_link, name="Still Listed")
    part = section(page(), "facebook")
    assert 'data-state="needs_reconnect"' in part and "can no longer read your Facebook friends" in part
    assert "Reconnect" in part and 'action="/login/facebook/"' in part
    assert 'name="rerequest"' not in part
    assert "Still Listed" in part  # what we had stays visible


def test_a_missing_encryption_key_is_not_the_persons_to_fix(page, fb_link, settings):
    SyncStateFactory(link=fb_link)
    FacebookFriendFactory(link=fb_link, name="Still Listed")
    settings.TOKEN_ENCRYPTION_KEYS = [vault.generate_key()]  # the key that wrote the token is gone

    part = section(page(), "facebook")

    assert 'data-state="failed"' in part and "problem on our side" in part
    assert "Reconnect" not in part and 'action="/login/facebook/"' not in part
    assert "Still Listed" in part


@pytest.mark.parametrize(("provider", "scope"), [("facebook", "user_friends"), ("google", CONTACTS_SCOPE)])
def test_permission_declined_offers_grant_permission_with_rerequest(page, person, provider, scope):
    link = LinkFactory(user=person, provider=provider)
    make_grant(link=link, denied_scopes=[scope])
    part = section(page(), provider)
    assert 'data-state="permission_declined"' in part and "You did not allow socialsite to see" in part
    assert "Grant permission" in part
    assert f'action="/login/{provider}/"' in part and 'name="rerequest" value="1"' in part


def test_ok_lists_friends_with_total_on_site_count_and_last_sync(page, person, fb_link):
    SyncStateFactory(link=fb_link, total_count=412)
    here = LinkFactory(provider="facebook")  # someone with a Facebook login here
    FacebookFriendFactory(link=fb_link, external_id=here.uid, name="Grace Hopper")
    FacebookFriendFactory(link=fb_link, name="Alan Turing")
    FacebookFriendFactory(link=fb_link, name="Ada Lovelace")
    part = section(page(), "facebook")
    assert 'data-state="ok"' in part and "Refresh" in part
    assert "1 of your 412 friends is here." in part
    assert "Last synced 5\xa0minutes ago" in part
    # On-site people first, then by name; only they carry the badge.
    assert part.index("Grace Hopper") < part.index("Ada Lovelace") < part.index("Alan Turing")
    assert part.count("On socialsite") == 1
    assert 'class="badge on-site"' in part.split("Grace Hopper")[1].split("</li>")[0]


# --- who is on socialsite -----------------------------------------------------------------------


def on_site_names(html: str, provider: str) -> set[str]:
    names = set()
    for item in section(html, provider).split("<li>")[1:]:
        if "On socialsite" in item:
            names.add(item.split('class="who-name">')[1].split("<")[0].strip())
    return names


def test_facebook_friend_is_here_while_their_facebook_login_exists(page, fb_link):
    SyncStateFactory(link=fb_link)
    grace_link = LinkFactory(provider="facebook")
    FacebookFriendFactory(link=fb_link, external_id=grace_link.uid, name="Grace")
    FacebookFriendFactory(
        link=fb_link, external_id=LinkFactory(provider="google").uid, name="Same uid, other provider"
    )
    assert on_site_names(page(), "facebook") == {"Grace"}

    grace_link.delete()  # she disconnected Facebook (or left): the badge goes at once
    assert on_site_names(page(), "facebook") == set()


def test_google_contact_is_here_when_their_email_is_a_findable_persons_email(page, g_link):
    SyncStateFactory(link=g_link)
    UserFactory(email="Grace@Sandbox.example", findable_by_email=True)
    UserFactory(email="", findable_by_email=True)  # no verified email: must not match contacts without one
    UserFactory(email="gone@example.com", is_active=False, findable_by_email=True)
    UserFactory(email="private@example.com")  # here, but never said yes to being found by email
    GoogleContactFactory(link=g_link, name="Grace", email="grace@sandbox.example")
    GoogleContactFactory(link=g_link, name="No Email", email="")
    GoogleContactFactory(link=g_link, name="Deactivated", email="gone@example.com")
    GoogleContactFactory(link=g_link, name="Stranger", email="stranger@example.com")
    GoogleContactFactory(link=g_link, name="Private", email="private@example.com")
    html = page()
    assert on_site_names(html, "google") == {"Grace"}
    assert "1 of your 5 contacts is here." in section(html, "google")

    UserFactory(email="stranger@example.com", findable_by_email=True)  # joins and says yes: no resync needed
    assert on_site_names(page(), "google") == {"Grace", "Stranger"}


# --- search and paging ------------------------------------------------------------------------


def test_search_by_name_filters_both_lists(page, fb_link, g_link):
    SyncStateFactory(link=fb_link)
    SyncStateFactory(link=g_link)
    FacebookFriendFactory(link=fb_link, name="Grace Hopper")
    FacebookFriendFactory(link=fb_link, name="Alan Turing")
    GoogleContactFactory(link=g_link, name="Grace Kelly")
    GoogleContactFactory(link=g_link, name="Claude Shannon")
    html = page(q="grace")
    assert "Grace Hopper" in html and "Grace Kelly" in html
    assert "Alan Turing" not in html and "Claude Shannon" not in html
    assert 'value="grace"' in html
    assert 'No contacts named "zzz"' in page(q="zzz")


def test_fifty_per_page_with_links_that_keep_the_search(page, fb_link):
    SyncStateFactory(link=fb_link)
    Friend.objects.bulk_create(FacebookFriendFactory.build_batch(120, link=fb_link))
    first = section(page(), "facebook")
    assert first.count("<li>") == 50 and "Page 1 of 3" in first
    assert 'href="?page_facebook=2"' in first
    third = section(page(page_facebook=3, q="Friend"), "facebook")
    assert third.count("<li>") == 20 and "Page 3 of 3" in third
    assert 'href="?page_facebook=2&amp;q=Friend"' in third
    assert section(page(page_facebook="nonsense"), "facebook").count("<li>") == 50


# --- cost: the same number of queries at 50 and at thousands of friends ----------------------------


def fill(fb_link, g_link, count: int) -> None:
    SyncStateFactory(link=fb_link, total_count=count * 2)
    SyncStateFactory(link=g_link)
    Friend.objects.bulk_create(FacebookFriendFactory.build_batch(count, link=fb_link), batch_size=500)
    Friend.objects.bulk_create(GoogleContactFactory.build_batch(count, link=g_link), batch_size=500)
    for n in range(0, count, max(count // 10, 1)):  # a few of them are here
        UserFactory(email=f"contact{n}@example.com", findable_by_email=True)


@pytest.mark.parametrize("count", [50, 2100])
def test_page_queries_do_not_grow_with_friends(page, fb_link, g_link, count, django_assert_max_num_queries):
    fill(fb_link, g_link, count)
    with django_assert_max_num_queries(PAGE_QUERY_BOUND):
        html = page()
    assert section(html, "facebook").count("<li>") == 50
    assert section(html, "google").count("<li>") == 50
    with django_assert_max_num_queries(PAGE_QUERY_BOUND):
        page(q="Friend", page_facebook=2, page_google=3)


# --- Refresh ---------------------------------------------------------------------------------


def test_refresh_requires_post(client, person):
    client.force_login(person)
    assert client.get(reverse("friends:refresh")).status_code == 405


def test_refresh_with_nothing_linked_says_what_to_do(client, person):
    client.force_login(person)
    response = client.post(reverse("friends:refresh"), follow=True)
    # One name per provider with a friends list, in page order.
    assert "Link Facebook, Google or GitHub first" in response.content.decode()


def test_a_first_sync_lost_long_ago_stops_the_page_reloading(client):
    """The sign-in's sync never ran (broker or worker down): after a lease the page stops
    reloading itself and offers "Fetch now"."""
    from datetime import timedelta

    from django.utils import timezone

    from friends.models import SYNC_LEASE
    from tests.factories import LinkFactory, make_grant

    link = LinkFactory(provider="google")
    make_grant(link=link)
    user = link.user
    client.force_login(user)  # signs in now: the first sync is still expected, the page waits
    assert 'http-equiv="refresh"' in client.get("/friends/").content.decode()

    long_ago = timezone.now() - SYNC_LEASE - timedelta(minutes=1)
    type(user).objects.filter(pk=user.pk).update(last_login=long_ago)
    page = client.get("/friends/").content.decode()
    assert 'http-equiv="refresh"' not in page and "Fetch now" in page
