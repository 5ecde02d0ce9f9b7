"""The accounts app's error family. Each names one condition a caller acts on."""

from __future__ import annotations


class AccountsError(Exception):
    """Base of every error the accounts app raises on purpose."""

    code = "accounts_error"


class TokenUnreadable(AccountsError):
    """A stored ciphertext that no configured key opens, or that belongs to another identity."""

    code = "token_unreadable"


class NoUsableToken(AccountsError):
    """The link has no token to act with; the person must reconnect."""

    code = "needs_reconnect"
