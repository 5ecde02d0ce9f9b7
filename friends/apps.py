from __future__ import annotations

from typing import Any

from django.apps import AppConfig


class FriendsConfig(AppConfig):
    name = "friends"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.signals import link_stored

        link_stored.connect(_queue_sync_after_sign_in, dispatch_uid="friends.queue_sync_after_sign_in")


def _queue_sync_after_sign_in(sender: Any, link: Any, **kwargs: Any) -> None:
    """Once the login has committed, fetch this link's people in the background (when its
    provider lists any: ``Provider.friends``)."""
    from friends import tasks
    from providers import registry

    provider = registry.find(link.provider)
    if provider is not None and provider.friends is not None:
        tasks.queue_sync_on_commit(link.pk)
