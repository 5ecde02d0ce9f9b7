"""The accounts app's error family. Each names one condition a caller acts on."""

from __future__ import annotations


class AccountsError(Exception):
    """Base of every error the accounts app raises on purpose."""

    code = "accounts_error"


class TokenUnreadable(AccountsError):
    """A stored ciphertext that no configured key opens, or that belongs to another identity."""

    code = "token_unreadable"


class NoKeyOpens(TokenUnreadable):
    """No key in TOKEN_ENCRYPTION_KEYS opens the ciphertext (a key is missing, or it is damaged)."""

    code = "no_key_opens"


class NoUsableToken(AccountsError):
    """The link has no token to act with; the person must reconnect."""

    code = "needs_reconnect"


class TokenKeyMissing(NoUsableToken):
    """No configured encryption key opens the stored token: an operator fault, not the person's.

    The ciphertext is kept as it is; restoring the key in TOKEN_ENCRYPTION_KEYS brings it back.
    """

    code = "key_missing"


class OpenRefused(AccountsError):
    """Sealed mode: this process (not the worker) holds no private key and never opens a token.

    Not a missing key and not the person's problem: the work belongs on the worker.
    """

    code = "open_refused"
