"""The typed errors every provider client raises. Views and tasks catch these, never ``requests``'."""

from __future__ import annotations


class ProviderError(Exception):
    """Base of every provider failure; ``code`` is machine-readable."""

    code = "provider_error"

    def __init__(self, message: str = "", *, provider: str = "", status: int | None = None, detail: str = ""):
        super().__init__(message or self.__doc__ or self.code)
        self.provider = provider
        self.status = status
        self.detail = detail


class ProviderAuthError(ProviderError):
    """The grant is gone (revoked, expired, password changed): the person must reconnect."""

    code = "reconnect"


class ProviderDataAccessExpired(ProviderAuthError):
    """The token still signs the person in, but the provider stopped sharing their data
    (Facebook: 90 days without the person using the app): they must confirm access again."""

    code = "data_access_expired"


class ProviderPermissionError(ProviderError):
    """The grant lacks a permission the call needs (declined at consent)."""

    code = "permission"


class ProviderRateLimited(ProviderError):
    """The provider asks us to slow down; ``retry_after`` seconds when it says."""

    code = "rate_limited"

    def __init__(self, message: str = "", *, retry_after: float | None = None, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ProviderUnavailable(ProviderError):
    """Unreachable, timed out, 5xx or an answer we cannot parse: try again later."""

    code = "unavailable"


class ProviderConfigurationError(ProviderError):
    """The provider refuses because of how *we* are set up there (an API not enabled for our
    project, say): nothing the person can fix; the operator must. ``action`` says what to do."""

    code = "operator"

    def __init__(self, message: str = "", *, action: str = "", **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(message, **kwargs)
        self.action = action
