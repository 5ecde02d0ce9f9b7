"""Read-only admin: where each linked account's friends sync stands (friend lists stay private)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from friends.models import FriendSyncState


@admin.register(FriendSyncState)
class FriendSyncStateAdmin(admin.ModelAdmin):
    # last_error: for a failure the person's words; for "unavailable" what the operator must do.
    list_display = [
        "link",
        "status",
        "last_error",
        "last_success_at",
        "last_attempt_at",
        "attempts",
        "total_count",
    ]
    list_filter = ["status", "link__provider"]
    list_select_related = ["link"]
    search_fields = ["link__user__username", "link__user__email"]
    fields = ["link", "status", "started_at", "last_attempt_at", "last_success_at", "last_error", "attempts",
              "total_count"]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
