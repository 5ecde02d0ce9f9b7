"""socialsite's social-auth pipeline steps (the order and a comment per step are in settings).

Each step takes what it needs by name, calls a service and returns a dict or ``None``.
No provider API is called here.
"""

from __future__ import annotations

from typing import Any

from django.views.decorators.debug import sensitive_variables

from accounts import services
from accounts.signals import link_stored


def keep_verified_email_only(details: dict[str, Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """Drop an email the provider has not verified: it must not become anyone's address here.

    "Verified" is the backend's word: Google's ``email_verified`` only when JSON ``true``;
    Facebook's never (Meta promises nothing). So a User.email, which makes the person
    findable by Google contacts, always comes from a provider that vouched for it.
    """
    if not details.get("email_verified"):
        details = {**details, "email": ""}
    return {"details": details}


def adopt_verified_email(details: dict[str, Any], user: Any = None, *args: Any, **kwargs: Any) -> None:
    """A person here without an email gets the verified one this provider vouches for."""
    if user is not None and details.get("email_verified") and details.get("email"):
        if services.user_adopt_verified_email(user=user, email=details["email"]):
            user.refresh_from_db(fields=["email"])


def create_user_with_link(
    strategy: Any,
    backend: Any,
    details: dict[str, Any],
    uid: str,
    user: Any = None,
    social: Any = None,
    username: str | None = None,
    *args: Any,
    id_key: str = "",
    **kwargs: Any,
) -> dict[str, Any] | None:
    """A new identity with nobody signed in: create its user and link in one step, race-safe."""
    if user is not None or social is not None:
        return None
    user_fields = {
        "username": username or details.get("username") or "user",
        "email": details.get("email") or "",
        "first_name": (details.get("first_name") or "")[:150],
        "last_name": (details.get("last_name") or "")[:150],
    }
    new_user, link, created = services.identity_create(
        provider=backend.name, uid=str(uid), id_key=id_key, user_fields=user_fields
    )
    return {"user": new_user, "social": link, "is_new": created, "new_association": created}


@sensitive_variables("response")
def store_tokens(backend: Any, social: Any, response: dict[str, Any], *args: Any, **kwargs: Any) -> None:
    """Put the access and refresh tokens in the vault; nothing else keeps them."""
    granted, denied = backend.granted_scopes(response)
    services.grant_store(
        link=social,
        access_token=response["access_token"],
        refresh_token=response.get("refresh_token"),
        expires_in=response.get("expires_in"),
        scopes=granted,
        denied_scopes=denied,
    )


def announce_link_stored(social: Any, *args: Any, **kwargs: Any) -> None:
    """Tell whoever listens that this link's grant is stored (``friends`` then queues its sync
    for after the login commits): accounts names no app that reacts."""
    if social is not None:
        link_stored.send(sender=type(social), link=social)
