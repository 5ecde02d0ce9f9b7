"""What both provider backends share.

- Tokens never land in ``UserSocialAuth.extra_data``: ``accounts.pipeline.store_tokens``
  puts them in the vault instead.
- A session holds at most ``LOGIN_PENDING_PER_SESSION`` unfinished sign-ins per provider.
- The pipeline runs in one transaction: a login either writes the user, the link and the
  grant together, or nothing at all.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from accounts import login_state
from accounts.expiry import expires_in_seconds

# Keys social-core would copy into extra_data that are secrets (or carry them).
SECRET_KEYS = frozenset({"access_token", "refresh_token", "id_token", "code", "signed_request"})


class SocialsiteBackendMixin:
    def get_or_create_state(self) -> str | None:
        """A new sign-in's state; the session keeps only the newest few pending ones."""
        state = super().get_or_create_state()  # type: ignore[misc]
        login_state.pending_trim(self, keep=settings.LOGIN_PENDING_PER_SESSION)
        return state

    def run_pipeline(self, pipeline: list[str], pipeline_index: int = 0, *args: Any, **kwargs: Any) -> Any:
        with transaction.atomic():
            return super().run_pipeline(pipeline, pipeline_index, *args, **kwargs)  # type: ignore[misc]

    def extra_data(
        self,
        user: Any,
        uid: str,
        response: dict[str, Any],
        details: dict[str, Any],
        pipeline_kwargs: dict[str, Any],
    ) -> dict[str, Any]:
        data: dict[str, Any] = super().extra_data(  # type: ignore[misc]
            user, uid, response, details, pipeline_kwargs
        )
        if "expires_in" in data:
            # Whatever the provider sent, extra_data keeps a number a JSON column can hold.
            data["expires_in"] = expires_in_seconds(data["expires_in"])
        return {key: value for key, value in data.items() if key not in SECRET_KEYS}

    def granted_scopes(self, response: dict[str, Any]) -> tuple[list[str], list[str]]:
        """The scopes the person granted and declined, from the provider's answer."""
        raise NotImplementedError
