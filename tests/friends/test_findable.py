"""Privacy of contact matching: an email address finds someone here only after they said yes.

The attack: put an address in your Google contacts, sync, and look for the "On socialsite"
badge. Over real HTTP against the sandbox, as Ada (who has Grace among her contacts) and
Grace (who decides).
"""

from __future__ import annotations

from accounts.models import User
from tests.friends.test_end_to_end import friends_page, listed, refresh

QUESTION = "Let people who have your email address in their contacts see that you're on socialsite."


def answer_on_friends_page(browser, answer: str):
    page = browser.get("/friends/")
    assert QUESTION in page.text
    return browser.post_form(page, "/account/findable/", {"findable": answer, "next": "/friends/"})


def test_a_contact_who_never_said_yes_shows_no_badge(browser, new_browser, ada, grace):
    new_browser().login("google", grace)  # Grace is here, and has not answered
    browser.login("google", ada)

    assert listed(friends_page(browser), "google")["Grace Hopper"] is False
    assert User.objects.get(email="grace@sandbox.example").findable_by_email is False


def test_yes_shows_the_badge_and_opting_out_on_the_account_page_hides_it(browser, new_browser, ada, grace):
    grace_browser = new_browser()
    grace_browser.login("google", grace)
    browser.login("google", ada)

    back = answer_on_friends_page(grace_browser, "yes")
    assert back.url.endswith("/friends/")
    assert listed(friends_page(browser), "google")["Grace Hopper"] is True

    account = grace_browser.get("/account/")
    assert "can see that you're on socialsite" in account.text
    grace_browser.post_form(account, "/account/findable/", {"findable": "no"})
    assert "cannot see that you're on socialsite" in grace_browser.get("/account/").text
    assert listed(friends_page(browser), "google")["Grace Hopper"] is False


def test_the_question_is_asked_once(new_browser, grace):
    grace_browser = new_browser()
    grace_browser.login("google", grace)
    assert QUESTION in grace_browser.get("/friends/").text
    assert QUESTION in grace_browser.get("/friends/").text  # still unanswered: still asked

    answered = answer_on_friends_page(grace_browser, "no")

    assert QUESTION not in answered.text
    assert QUESTION not in grace_browser.get("/friends/").text
    grace_browser.logout()
    grace_browser.login("google", grace)
    assert QUESTION not in grace_browser.get("/friends/").text
    assert User.objects.get(email="grace@sandbox.example").findable_by_email_answered_at is not None


def test_facebook_friends_see_each_other_without_the_email_question(browser, new_browser, ada, grace):
    """Both granted user_friends on Facebook: that consent is the provider's, not an email's."""
    new_browser().login("facebook", grace)
    browser.login("facebook", ada)

    assert listed(refresh(browser, "facebook"), "facebook") == {"Grace Hopper": True}


def test_the_account_page_says_who_finds_you_without_the_email(browser, ada):
    browser.login("github", ada)

    page = browser.get("/account/").text

    # Mutual lists say both sides allowed it; following goes one way: the followers see you.
    assert "Facebook friends who also use socialsite see you either way" in page
    assert "People who follow you on GitHub and use socialsite see you either way" in page
    assert "GitHub people you follow who also use socialsite" not in page
