"""Sign-in failures become pages a person can act on, never tracebacks.

social-django's middleware already maps each failure to a status (403 cancelled or bad
state, 409 already linked, 502/503/504 provider trouble); this subclass always renders
(even with DEBUG on), in plain words, with one "Try again" button.
"""

from __future__ import annotations

from http import HTTPStatus

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from social_core.exceptions import (
    AuthAssociationError,
    AuthCanceled,
    AuthInputError,
    AuthProviderError,
    AuthResponseError,
    AuthSessionError,
    SocialAuthBaseException,
)
from social_django.middleware import SocialAuthExceptionMiddleware

from providers import registry


def _explain(exception: SocialAuthBaseException, provider: str) -> tuple[str, str]:
    """A title and a sentence for the person; never the exception's own text."""
    if isinstance(exception, AuthCanceled):
        return (
            "Sign-in cancelled",
            f"You cancelled at {provider}, so nothing was shared and you are not signed in.",
        )
    if isinstance(exception, AuthAssociationError):
        return (
            "Already linked to another account",
            f"This {provider} account is already linked to a different socialsite account. "
            "Sign out and sign in with it to use that account.",
        )
    if isinstance(exception, (AuthSessionError, AuthInputError)):
        return (
            "This sign-in link has expired",
            "The sign-in could not be matched to this browser (it was used already, expired, or was "
            "altered). Please start again.",
        )
    if exception.source == "configuration":
        # e.g. discovery names another issuer than the one configured: nothing the person can fix.
        return (
            f"Sign-in with {provider} is unavailable right now",
            f"Our connection to {provider} is not set up correctly, so we did not sign you in and "
            "nothing was shared. The people who run this site have been told.",
        )
    if isinstance(exception, AuthProviderError):
        if exception.code == "timeout":
            return (
                f"{provider} took too long to answer",
                f"{provider} did not answer in time. Please try again.",
            )
        return f"{provider} is not reachable right now", f"We could not complete the sign-in with {provider}."
    if isinstance(exception, AuthResponseError):
        return (
            f"{provider} sent an answer we cannot use",
            f"The answer from {provider} was incomplete or could not be verified, so we did not sign you in.",
        )
    return "Sign-in failed", f"Something went wrong while signing in with {provider}."


class LoginErrorMiddleware(SocialAuthExceptionMiddleware):
    def raise_exception(self, request: HttpRequest, exception: Exception) -> bool:
        return False

    def get_redirect_uri(self, request: HttpRequest, exception: Exception) -> None:
        return None  # always render the page below, never redirect with the message in a URL

    def render_error(self, request: HttpRequest, exception: SocialAuthBaseException) -> HttpResponse:
        status = self.get_error_status(request, exception)
        self._log_error(exception, status)
        backend = getattr(getattr(request, "backend", None), "name", "")
        known = registry.find(backend)
        provider = known.label if known is not None else "the provider"
        title, explanation = _explain(exception, provider)
        response = render(
            request,
            "errors/login_failed.html",
            {
                "title": title,
                "explanation": explanation,
                "backend": backend if known is not None else "",
                "known_provider": known,
                "provider": provider,
                "status": status,
                "status_phrase": HTTPStatus(status).phrase,
                "error_code": exception.code or "",
            },
            status=status,
        )
        add_never_cache_headers(response)
        return response
