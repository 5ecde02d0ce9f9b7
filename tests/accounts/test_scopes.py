"""Scope spellings: Google's URL forms of email/profile are the same scopes as the short names."""

from __future__ import annotations

import pytest

from accounts.scopes import canonical_scopes, scope_in

EMAIL_URL = "https://www.googleapis.com/auth/userinfo.email"
PROFILE_URL = "https://www.googleapis.com/auth/userinfo.profile"
CONTACTS = "https://www.googleapis.com/auth/contacts.readonly"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        # Google's token answer (any order, openid unasked): the short names, once each.
        (f"{PROFILE_URL} openid {CONTACTS} {EMAIL_URL}", {"profile", "openid", CONTACTS, "email"}),
        (f"email {EMAIL_URL} profile {PROFILE_URL}", {"email", "profile"}),
        ("openid email profile", {"openid", "email", "profile"}),
    ],
)
def test_canonical_scopes_reads_both_spellings_as_one_set(answer, expected):
    scopes = canonical_scopes(answer.split())

    assert set(scopes) == expected
    assert len(scopes) == len(expected)


def test_scope_in_compares_across_spellings():
    assert scope_in("email", [EMAIL_URL])
    assert scope_in(PROFILE_URL, ["profile"])
    assert scope_in(CONTACTS, [CONTACTS])
    assert not scope_in(CONTACTS, ["email", "profile", "openid"])
    assert not scope_in("email", None)
