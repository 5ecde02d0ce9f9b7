"""Thin views: the home page, the signed-in account page, sign-out and a health probe."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts import services
from accounts.models import ProviderGrant, User
from accounts.selectors import PROVIDER_LABELS, linked_accounts_for


class SignedInRequest(HttpRequest):
    """A request behind @login_required: ``user`` is a real person."""

    user: User


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    context = {}
    if isinstance(request.user, User):
        context["links"] = linked_accounts_for(request.user)
    return render(request, "accounts/home.html", context)


@login_required
@require_GET
def account(request: SignedInRequest) -> HttpResponse:
    return render(request, "accounts/account.html", {"links": linked_accounts_for(request.user)})


@login_required
@require_POST
def disconnect(request: SignedInRequest, provider: str) -> HttpResponse:
    label = PROVIDER_LABELS.get(provider)
    if label is None:
        return redirect("account")
    try:
        services.link_disconnect(user=request.user, provider=provider)
    except services.LastSignInMethod:
        messages.error(
            request,
            f"{label} is your only way to sign in, so it cannot be disconnected. "
            "Link another provider first, or delete your account.",
        )
    else:
        messages.success(request, f"{label} is disconnected and its access has been revoked.")
    return redirect("account")


@login_required
@require_POST
def delete_account(request: SignedInRequest) -> HttpResponse:
    if request.POST.get("confirm") != "delete":
        messages.error(request, 'To delete your account, tick the box "Yes, delete everything".')
        return redirect("account")
    user = request.user
    logout(request)
    services.account_delete(user=user)
    messages.success(request, "Your account and everything we kept for it have been deleted.")
    return redirect("home")


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("home")


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and what an operator must act on.

    200 whenever the database answers, so a load balancer keeps serving sign-ins. The body
    says ``"status": "degraded"`` while grants are flagged "encryption key missing" (a
    process could not open their tokens); ``unreadable_grants`` counts them. The count comes
    from the flag the worker sets and re-checks on every beat, not from decrypting the table.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    unreadable = ProviderGrant.objects.filter(key_missing_since__isnull=False).count()
    body: dict[str, object] = {"status": "degraded" if unreadable else "ok", "unreadable_grants": unreadable}
    if unreadable:
        body["detail"] = (
            f"{unreadable} grant(s) cannot be opened with the configured TOKEN_ENCRYPTION_KEYS: "
            "restore the missing key on every process (rotate_token_keys --check counts them)"
        )
    return JsonResponse(body)
