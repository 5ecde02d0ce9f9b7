"""Identity and the stored provider grants.

A person is a ``User``. Each provider account they sign in with is a social-auth
``UserSocialAuth`` link, unique on ``(provider, uid)``. The tokens that provider handed
over live in ``ProviderGrant``, keyed by the same ``(provider, uid)`` and encrypted by the
vault; the model offers verbs (``set_access_token`` / ``get_access_token``) and never
shows a token in ``str()`` or ``repr()``.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from accounts import vault
from accounts.exceptions import NoKeyOpens, NoUsableToken, TokenKeyMissing, TokenUnreadable

CIPHERTEXT_FIELDS = ("access_token_ciphertext", "refresh_token_ciphertext")

# Not a stored status: what ``effective_status`` says of an active grant whose tokens no
# configured key opens. The ciphertext is kept; the state ends when the key comes back.
KEY_MISSING = "key_missing"
KEY_MISSING_LABEL = "Unreadable: encryption key missing"


class User(AbstractUser):
    """A socialsite person. Recognised by their provider identities, never by email."""

    # Contact matching: someone with this person's email among their Google contacts sees
    # them "On socialsite" only once they said yes (asked once, changeable on /account/).
    findable_by_email = models.BooleanField(
        default=False,
        help_text="Let people who have this email address in their contacts see that they are here.",
    )
    findable_by_email_answered_at = models.DateTimeField(
        null=True, blank=True, help_text="When they answered the question (unset: not asked yet)."
    )

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class GrantStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    NEEDS_RECONNECT = "needs_reconnect", "Needs reconnect"
    # Facebook: the token still signs the person in, but data access lapsed after 90 days
    # without them using the app; reconnecting with auth_type=reauthorize restores it.
    DATA_ACCESS_EXPIRED = "data_access_expired", "Needs confirming"
    REVOKED = "revoked", "Revoked"


class ProviderGrant(models.Model):
    """The encrypted tokens of one provider account, keyed by ``(provider, uid)``."""

    provider = models.CharField(max_length=32)
    uid = models.CharField(max_length=255)
    social = models.OneToOneField(
        "social_django.UserSocialAuth",
        on_delete=models.CASCADE,
        related_name="grant",
        null=True,
        blank=True,
    )
    access_token_ciphertext = models.TextField(blank=True, default="")
    refresh_token_ciphertext = models.TextField(blank=True, default="")
    expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.JSONField(default=list, blank=True)
    denied_scopes = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=GrantStatus.choices, default=GrantStatus.ACTIVE)
    last_refreshed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True, default="")
    # Set when a process found a ciphertext of this grant that no configured key opens, and
    # cleared when one opened it again. Background work skips such grants (re-checking them
    # each beat), the admin filters on it and /healthz/ counts it. Never a reason to delete.
    key_missing_since = models.DateTimeField(null=True, blank=True, db_index=True)
    # A refresh in progress holds this lease, so two workers never refresh one grant at once.
    refresh_lease_id = models.CharField(max_length=32, blank=True, default="")
    refresh_lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "uid"], name="one_grant_per_provider_account"),
        ]
        indexes = [models.Index(fields=["expires_at"], name="grant_expires_at_idx")]

    def __str__(self) -> str:
        return f"{self.provider}:{self.uid} ({self.get_status_display()})"

    def __repr__(self) -> str:
        return f"<ProviderGrant {self.provider}:{self.uid} status={self.status}>"

    # --- verbs: the only way in or out of the ciphertext columns -----------------------------

    @sensitive_variables("token")
    def set_access_token(self, token: str) -> None:
        self.access_token_ciphertext = vault.seal_token(token, provider=self.provider, uid=self.uid)

    @sensitive_variables("token")
    def set_refresh_token(self, token: str) -> None:
        self.refresh_token_ciphertext = vault.seal_token(token, provider=self.provider, uid=self.uid)

    def get_access_token(self) -> str:
        """The plaintext access token, or ``NoUsableToken`` when there is none to use."""
        return self._open(self.access_token_ciphertext)

    def get_refresh_token(self) -> str:
        return self._open(self.refresh_token_ciphertext)

    def _open(self, ciphertext: str) -> str:
        if not ciphertext or self.status != GrantStatus.ACTIVE:
            raise NoUsableToken(f"{self.provider} link needs reconnecting")
        try:
            return vault.open_token(ciphertext, provider=self.provider, uid=self.uid)
        except NoKeyOpens as error:
            raise TokenKeyMissing(f"{self.provider} token: {error}") from error
        except TokenUnreadable as error:
            raise NoUsableToken(f"{self.provider} token cannot be read: {error}") from error

    def unopenable_fields(self) -> list[str]:
        """The ciphertext columns of this grant that no configured key opens (empty ones aside)."""
        missing = []
        for field in CIPHERTEXT_FIELDS:
            ciphertext = getattr(self, field)
            if ciphertext and vault.key_position(ciphertext) is None:
                missing.append(field)
        return missing

    def reseal_tokens(self) -> None:
        """Re-encrypt both ciphertexts under the newest key; one no key opens is left as it is."""
        for field in CIPHERTEXT_FIELDS:
            ciphertext = getattr(self, field)
            if not ciphertext or vault.is_current(ciphertext):
                continue
            try:
                setattr(self, field, vault.rotate_ciphertext(ciphertext))
            except TokenUnreadable:
                continue

    @property
    def has_refresh_token(self) -> bool:
        return bool(self.refresh_token_ciphertext)

    def forget_tokens(self) -> None:
        self.access_token_ciphertext = ""
        self.refresh_token_ciphertext = ""
        self.expires_at = None

    # --- state people and admins see -------------------------------------------------------

    @property
    def is_readable(self) -> bool:
        """True when the access token exists and a configured key opens it."""
        if not self.access_token_ciphertext:
            return False
        try:
            vault.open_token(self.access_token_ciphertext, provider=self.provider, uid=self.uid)
        except TokenUnreadable:
            return False
        return True

    @property
    def effective_status(self) -> str:
        """The status to show, checked against the keys this process holds.

        A token no configured key opens is ``KEY_MISSING`` (an operator fault: the person has
        nothing to do); a missing or otherwise unreadable one means "needs reconnect".
        """
        if self.status != GrantStatus.ACTIVE:
            return self.status
        if self.unopenable_fields():
            return KEY_MISSING
        if not self.is_readable:
            return GrantStatus.NEEDS_RECONNECT
        return self.status

    @property
    def effective_status_label(self) -> str:
        status = self.effective_status
        return KEY_MISSING_LABEL if status == KEY_MISSING else GrantStatus(status).label

    def expires_in(self, now: datetime | None = None) -> float | None:
        if self.expires_at is None:
            return None
        return (self.expires_at - (now or timezone.now())).total_seconds()


class DataDeletionRequest(models.Model):
    """A Facebook data-deletion callback we honoured; its status page is public by code.

    The Facebook user id is not kept (the point is to forget it): only a hash, so a replay
    of the same request finds its earlier answer.
    """

    confirmation_code = models.CharField(max_length=32, unique=True)
    request_hash = models.CharField(max_length=64, unique=True)
    provider = models.CharField(max_length=32, help_text="The provider whose callback asked for it.")
    deleted_links = models.PositiveIntegerField(default=0)
    requested_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"data deletion {self.confirmation_code}"
