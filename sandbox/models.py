"""State of the emulated providers, kept in the sandbox's own tables.

Tables rather than process memory so the sandbox works across web processes, threads of
the live test server and restarts. Everything issued here (codes, tokens) is the
*provider's* secret, so it is stored in plaintext; it still never shows in ``str()``.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from providers import registry

# Every provider package's name, as ``Provider.<NAME>`` (from the registry). The ``provider``
# columns carry no choices: a new provider package needs no sandbox migration.
Provider = models.TextChoices(  # type: ignore[call-overload]
    "Provider",
    [(name.upper(), (name, registry.any_provider(name).label)) for name in registry.available_names()],
)


class TokenKind(models.TextChoices):
    ACCESS = "access", "Access token"
    REFRESH = "refresh", "Refresh token"


class SandboxPerson(models.Model):
    """Someone who can "sign in" at the emulated providers; one person has both identities."""

    name = models.CharField(max_length=150)
    given_name = models.CharField(max_length=75)
    family_name = models.CharField(max_length=75)
    email = models.EmailField(unique=True)
    email_verified = models.BooleanField(default=True)
    # Facebook's app-scoped user id and Google's `sub`: digit strings, as the providers send them.
    facebook_id = models.CharField(max_length=32, unique=True)
    google_sub = models.CharField(max_length=32, unique=True)
    # People made by ``seed_sandbox --people N`` to populate social graphs; consent pages
    # list only the named roster, so a roster of thousands stays usable.
    generated = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "sandbox person"
        verbose_name_plural = "sandbox people"

    def __str__(self) -> str:
        return self.name

    @property
    def initials(self) -> str:
        return (self.given_name[:1] + self.family_name[:1]).upper()


class SandboxAuthCode(models.Model):
    """An authorization code handed out by a consent page; single use, short-lived."""

    provider = models.CharField(max_length=16)
    value = models.CharField(max_length=255, unique=True)
    person = models.ForeignKey(SandboxPerson, on_delete=models.CASCADE, related_name="codes")
    client_id = models.CharField(max_length=255)
    redirect_uri = models.TextField()
    scopes = models.TextField(blank=True, default="", help_text="Granted scopes, space-separated.")
    # Google / OpenID Connect only.
    nonce = models.CharField(max_length=255, blank=True, default="")
    code_challenge = models.CharField(max_length=255, blank=True, default="")
    code_challenge_method = models.CharField(max_length=8, blank=True, default="")
    offline = models.BooleanField(default=False, help_text="access_type=offline was asked for.")
    prompt_consent = models.BooleanField(
        default=False,
        help_text="Consent was asked for again (prompt=consent, auth_type=reauthorize and the like).",
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "sandbox authorization code"

    def __str__(self) -> str:
        return f"{self.provider} code for {self.person_id} ({'used' if self.used_at else 'unused'})"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()


class SandboxToken(models.Model):
    """An access or refresh token issued to a client for a person."""

    provider = models.CharField(max_length=16)
    kind = models.CharField(max_length=8, choices=TokenKind.choices)
    value = models.CharField(max_length=255, unique=True)
    person = models.ForeignKey(SandboxPerson, on_delete=models.CASCADE, related_name="tokens")
    client_id = models.CharField(max_length=255)
    scopes = models.TextField(blank=True, default="", help_text="Granted scopes, space-separated.")
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Empty: does not expire.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Facebook: made by fb_exchange_token; exchanging it again does not extend it.
    # db_default: bulk COPY in seeding.py leaves the column out.
    long_lived = models.BooleanField(default=False, db_default=False)
    # Facebook: when Graph stops sharing the person's data (90 days after they last used the
    # app), apart from the token's own expiry. Empty: not tracked (Google).
    data_access_expires_at = models.DateTimeField(null=True, blank=True)
    # The code this token was first issued for: a replayed code revokes these (RFC 6749 §4.1.2).
    code = models.ForeignKey(
        SandboxAuthCode, on_delete=models.SET_NULL, null=True, blank=True, related_name="tokens"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "sandbox token"
        indexes = [models.Index(fields=["provider", "person", "client_id"], name="sandbox_token_grant_idx")]

    def __str__(self) -> str:
        return f"{self.provider} {self.kind} token for {self.person_id}"

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()

    def data_access_lapsed(self) -> bool:
        """Facebook: Graph shares none of the person's data with this token any more."""
        return self.data_access_expires_at is not None and self.data_access_expires_at <= timezone.now()

    def seconds_left(self) -> int | None:
        if self.expires_at is None:
            return None
        return max(0, int((self.expires_at - timezone.now()).total_seconds()))


class SandboxSigningKey(models.Model):
    """The RSA key the emulated Google signs id_tokens with (PEM, PKCS#8)."""

    kid = models.CharField(max_length=64, unique=True)
    private_pem = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "sandbox signing key"

    def __str__(self) -> str:
        return f"signing key {self.kid}"


class SandboxFault(models.Model):
    """A misbehaviour armed for the next ``remaining`` calls of one endpoint."""

    provider = models.CharField(max_length=16)
    endpoint = models.CharField(max_length=32)
    mode = models.CharField(max_length=32)
    remaining = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "sandbox fault"

    def __str__(self) -> str:
        return f"{self.provider} {self.endpoint}: {self.mode} x{self.remaining}"


class SandboxFriendship(models.Model):
    """One direction of a Facebook friendship; ``friendship_add`` always writes both.

    Stored twice (a→b and b→a) so "friends of x" is one indexed query on ``person``,
    whichever side the friendship was made from.
    """

    person = models.ForeignKey(SandboxPerson, on_delete=models.CASCADE, related_name="friendships")
    friend = models.ForeignKey(SandboxPerson, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "sandbox friendship"
        constraints = [
            # Also the index behind "friends of x, in friend order" (cursor paging).
            models.UniqueConstraint(fields=["person", "friend"], name="sandbox_friendship_unique"),
            models.CheckConstraint(
                condition=~models.Q(person=models.F("friend")), name="sandbox_friendship_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"friendship {self.person_id} -> {self.friend_id}"


class SandboxContact(models.Model):
    """A Google contact in a person's address book (People API ``people/c…`` resource).

    ``version`` grows with every change of the owner's contacts, so a sync token is just
    "the version you had"; a deleted contact keeps its row (``deleted_at``) so an
    incremental sync can report it, as Google does.
    """

    owner = models.ForeignKey(SandboxPerson, on_delete=models.CASCADE, related_name="contacts")
    resource_name = models.CharField(max_length=64)
    etag = models.CharField(max_length=64)
    given_name = models.CharField(max_length=75, blank=True, default="")
    family_name = models.CharField(max_length=75, blank=True, default="")
    display_name = models.CharField(max_length=150, blank=True, default="")
    # NULL, not "": People API contacts often have no email, and NULLs stay out of matching.
    email = models.EmailField(null=True, blank=True)  # noqa: DJ001
    photo_url = models.URLField(
        blank=True, default="", help_text="Empty: the provider's default (initials) photo."
    )
    version = models.BigIntegerField()
    deleted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "sandbox contact"
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "resource_name"], name="sandbox_contact_resource_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "version"], name="sandbox_contact_version_idx"),
            # Page tokens walk an owner's contacts in id order.
            models.Index(fields=["owner", "id"], name="sandbox_contact_page_idx"),
        ]

    def __str__(self) -> str:
        return f"contact {self.resource_name} of {self.owner_id}"

    @property
    def initials(self) -> str:
        return ((self.given_name[:1] + self.family_name[:1]) or self.display_name[:1] or "?").upper()


class SandboxSwitch(models.Model):
    """A lasting behaviour of one emulated provider, on until turned off (see ``switches``).

    Faults misbehave for a number of calls; a switch changes the rules for every call, e.g.
    Google's authorize and token endpoints requiring PKCE.
    """

    provider = models.CharField(max_length=16)
    name = models.CharField(max_length=32)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["provider", "name"]
        verbose_name = "sandbox switch"
        constraints = [
            models.UniqueConstraint(fields=["provider", "name"], name="sandbox_switch_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.name}: on"
