"""Admin for people and their linked accounts. No token and no ciphertext is ever shown.

The ciphertext columns are left out of every form, list and export; all grant fields are
read-only so the admin's change history never records one either. social-django's own
``UserSocialAuth`` admin goes: its ``extra_data`` column is not for admins to browse.
"""

from __future__ import annotations

import social_django.admin  # noqa: F401  (registers its admins first, so they can be replaced)
from celery.result import EagerResult
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from social_django.models import Association, Nonce, UserSocialAuth

from accounts import services, tasks, vault
from accounts.models import KEY_MISSING_LABEL, ProviderGrant, User

for model in (UserSocialAuth, Nonce, Association):
    if admin.site.is_registered(model):
        admin.site.unregister(model)

GRANT_FIELDS = (
    "user_link",
    "provider",
    "uid",
    "status",
    "token_state",
    "key_missing_since",
    "scopes",
    "denied_scopes",
    "expires_at",
    "last_refreshed_at",
    "last_error",
    "created_at",
    "updated_at",
)


class EncryptionKeyFilter(admin.SimpleListFilter):
    """Grants a process found no configured key for ("unreadable: encryption key missing")."""

    title = "encryption key"
    parameter_name = "key"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("missing", "Unreadable: encryption key missing"), ("ok", "Readable")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ProviderGrant]) -> QuerySet[ProviderGrant]:
        if self.value() == "missing":
            return queryset.filter(key_missing_since__isnull=False)
        if self.value() == "ok":
            return queryset.filter(key_missing_since__isnull=True)
        return queryset


@admin.register(ProviderGrant)
class ProviderGrantAdmin(admin.ModelAdmin):
    list_display = (
        "uid",
        "provider",
        "user_link",
        "status",
        "token_state",
        "expires_at",
        "last_refreshed_at",
        "last_error",
    )
    list_filter = ("provider", "status", EncryptionKeyFilter)
    search_fields = ("uid", "social__user__email", "social__user__username")
    list_select_related = ("social__user",)
    fields = GRANT_FIELDS
    readonly_fields = GRANT_FIELDS
    actions = ("refresh_now", "revoke_and_unlink")
    ordering = ("-updated_at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="user")
    def user_link(self, grant: ProviderGrant) -> str:
        return str(grant.social.user) if grant.social is not None else "—"

    @admin.display(description="tokens")
    def token_state(self, grant: ProviderGrant) -> str:
        """Checked now, with this process's keys (never shows a token or a ciphertext).

        Sealed mode's web holds no private key: it shows what the worker found.
        """
        if grant.pending_operation:
            return f"Pending: {grant.pending_operation}"
        if grant.unopenable_fields():
            return KEY_MISSING_LABEL
        if not grant.access_token_ciphertext:
            return "None stored"
        return "Readable" if vault.can_open() else "Sealed (only the worker opens it)"

    @admin.action(description="Refresh now", permissions=["change"])
    def refresh_now(self, request: HttpRequest, queryset: QuerySet[ProviderGrant]) -> None:
        """Queued for the worker (it opens the token); each outcome goes to the grant's history
        under this admin's name, and the list's columns show it as it arrives."""
        counts: dict[str, int] = {}
        queued = 0
        for grant in queryset:
            outcome = tasks.refresh_grant.apply_async(
                args=[grant.pk], kwargs={"force": True, "admin_user_id": request.user.pk}
            )
            if isinstance(outcome, EagerResult):
                result = str(outcome.result)
                counts[result] = counts.get(result, 0) + 1
            else:
                queued += 1
        if queued:
            self.message_user(
                request,
                f"Refresh queued for {queued} grant(s): the worker refreshes them now; reload this "
                "list to see the outcome (last refreshed, last error, and each grant's history).",
                messages.INFO,
            )
        if counts:
            summary = ", ".join(
                f"{count} {result.replace('_', ' ')}" for result, count in sorted(counts.items())
            )
            self.message_user(request, f"Refresh: {summary}.", messages.INFO)

    def has_revoke_and_unlink_permission(self, request: HttpRequest) -> bool:
        """Revoke and unlink deletes two things: the grant and the person's link to the provider."""
        return self.has_delete_permission(request) and request.user.has_perm(
            f"{UserSocialAuth._meta.app_label}.delete_{UserSocialAuth._meta.model_name}"
        )

    @admin.action(description="Revoke and unlink", permissions=["revoke_and_unlink"])
    def revoke_and_unlink(self, request: HttpRequest, queryset: QuerySet[ProviderGrant]) -> None:
        unlinked = queued = 0
        for grant in queryset.select_related("social__user"):
            # Logged first: the row is gone afterwards.
            self.log_deletions(request, ProviderGrant.objects.filter(pk=grant.pk))
            if services.grant_unlink_request(grant=grant):
                unlinked += 1
            else:
                queued += 1
        if unlinked:
            self.message_user(request, f"Revoked and unlinked {unlinked} account(s).", messages.SUCCESS)
        if queued:
            self.message_user(
                request,
                f"Revoking and unlinking {queued} account(s): the worker does it now (it holds the "
                "keys); they leave this list once done.",
                messages.INFO,
            )


class LinkedAccountInline(admin.TabularInline):
    model = UserSocialAuth
    fields = ("provider", "uid", "status", "created", "modified")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name = "linked account"

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.display(description="status")
    def status(self, link: UserSocialAuth) -> str:
        grant = getattr(link, "grant", None)
        return grant.get_status_display() if grant else "no grant"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = (LinkedAccountInline,)
    # The person's own answer: shown, never changed by an admin.
    fieldsets = (
        *DjangoUserAdmin.fieldsets,  # type: ignore[misc]
        ("Privacy", {"fields": ("findable_by_email", "findable_by_email_answered_at")}),
    )
    readonly_fields = ("findable_by_email", "findable_by_email_answered_at")
