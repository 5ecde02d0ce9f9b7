"""Friends and contacts, stored per linked provider account, and the state of their sync.

Everything here hangs off a social-auth ``UserSocialAuth`` link with ``on_delete=CASCADE``:
disconnecting a provider, deleting the account or honouring a provider's data-deletion
callback removes the friend data with the link, with nothing else to remember.

Whether a friend "is on socialsite" is not stored: it is computed when the page is read
(``friends.selectors``), so it stays right as people join and leave.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone

# A running sync holds a lease this long, renewed after every page it stores. A sync whose
# lease ran out has died (worker killed, deploy): another may start, and the page stops
# saying "syncing".
SYNC_LEASE = timedelta(minutes=5)


class SyncStatus(models.TextChoices):
    NEVER_SYNCED = "never_synced", "Never synced"
    SYNCING = "syncing", "Syncing"
    OK = "ok", "Up to date"
    FAILED = "failed", "Failed"
    NEEDS_RECONNECT = "needs_reconnect", "Needs reconnect"
    PERMISSION_DECLINED = "permission_declined", "Permission declined"
    # The provider refuses because of how socialsite is set up there (an API not enabled):
    # the person sees "unavailable right now", the admin sees ``last_error``, what to fix.
    UNAVAILABLE = "unavailable", "Unavailable: needs the operator"


class FriendSyncState(models.Model):
    """Where the sync of one linked account stands. ``syncing`` with a live lease is the lock."""

    link = models.OneToOneField(
        "social_django.UserSocialAuth", on_delete=models.CASCADE, related_name="friend_sync"
    )
    status = models.CharField(max_length=24, choices=SyncStatus.choices, default=SyncStatus.NEVER_SYNCED)
    started_at = models.DateTimeField(null=True, blank=True, help_text="When the running sync began.")
    syncing_until = models.DateTimeField(
        null=True, blank=True, help_text="The running sync's lease: past it, the sync is taken to have died."
    )
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(
        max_length=255,
        blank=True,
        default="",
        help_text="Plain words, no token. For an operator problem: what the operator must do.",
    )
    attempts = models.PositiveIntegerField(default=0, help_text="Failed attempts since the last success.")
    # The provider's marker for the next incremental or conditional fetch (a sync token, an
    # ETag): ``PeoplePage.marker``.
    sync_token = models.TextField(blank=True, default="")
    # The last Refresh press that queued a sync: the person's cooldown starts here, and the
    # sync counts as queued until one starts after it (last_attempt_at).
    refresh_requested_at = models.DateTimeField(null=True, blank=True)
    # The provider's own count of everyone in the list, on socialsite or not (``PeoplePage.total``).
    total_count = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "friend sync state"

    def __str__(self) -> str:
        return f"friend sync of link {self.link_id}: {self.status}"

    def is_running(self, now: datetime | None = None) -> bool:
        """True while a sync holds this row and its lease has not run out."""
        if self.status != SyncStatus.SYNCING or self.syncing_until is None:
            return False
        return (now or timezone.now()) < self.syncing_until


class Friend(models.Model):
    """Someone a person knows on a provider: a friend, a contact, someone they follow.

    One model for every provider (``provider`` is the link's). ``external_id`` is the
    provider's id for them: for a provider that matches by uid it is the uid their own sign-in
    here would have; otherwise an opaque id of the entry. Whether they are on socialsite is
    computed when the page is read (the provider's ``Friends.match`` rule), not stored.
    """

    link = models.ForeignKey(
        "social_django.UserSocialAuth", on_delete=models.CASCADE, related_name="friends"
    )
    provider = models.CharField(max_length=32)
    external_id = models.CharField(max_length=255, help_text="The provider's id of this person or entry.")
    name = models.CharField(max_length=255, blank=True, default="")
    email = models.CharField(
        max_length=254, blank=True, default="", help_text="Primary email if given, lowercased."
    )
    picture_url = models.URLField(max_length=1024, blank=True, default="")
    # Stamped by every sync that saw the person; a full sync deletes the rows it did not stamp.
    synced_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["link", "external_id"], name="one_friend_per_link_external_id")
        ]
        indexes = [
            models.Index(fields=["link", "name"], name="friend_link_name_idx"),
            models.Index(fields=["email"], name="friend_email_idx"),
        ]

    def __str__(self) -> str:
        return self.name or self.email or self.external_id
