"""Thin views: the home page, the signed-in account page, sign-out and a health probe."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from social_django import views as social_views

from accounts import services
from accounts.models import ProviderGrant, User
from accounts.selectors import linked_accounts_for
from providers import registry
from providers.base import Match
from socialsite.ratelimits import rate_limited


class SignedInRequest(HttpRequest):
    """A request behind @login_required: ``user`` is a real person."""

    user: User


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    context: dict[str, object] = {"providers": registry.enabled()}
    if isinstance(request.user, User):
        context["links"] = linked_accounts_for(request.user)
    return render(request, "accounts/home.html", context)


@login_required
@require_GET
def account(request: SignedInRequest) -> HttpResponse:
    # Whose people find the person by their provider id whatever the email setting says.
    matched_by_uid = [p for p in registry.with_friends() if p.friends and p.friends.match == Match.UID]
    return render(
        request,
        "accounts/account.html",
        {"links": linked_accounts_for(request.user), "matched_by_uid": matched_by_uid},
    )


@rate_limited("login")
def login_begin(request: HttpRequest, backend: str) -> HttpResponse:
    """POST /login/<backend>/: social-django's begin, counted per address and person."""
    return social_views.auth(request, backend)


@csrf_exempt  # the provider's redirect back; the state parameter protects it instead
@rate_limited("callback")
def login_complete(request: HttpRequest, backend: str) -> HttpResponse:
    """/complete/<backend>/: social-django's callback, counted per address and person."""
    return social_views.complete(request, backend)


@login_required
@require_POST
@rate_limited("disconnect")
def disconnect(request: SignedInRequest, provider: str) -> HttpResponse:
    known = registry.find(provider)
    if known is None:
        return redirect("account")
    label = known.label
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
def findable(request: SignedInRequest) -> HttpResponse:
    """The answer to "Let people who have your email address in their contacts see you're here"."""
    answer = request.POST.get("findable")
    if answer not in ("yes", "no"):
        return redirect("account")
    services.user_set_findable_by_email(user=request.user, findable=answer == "yes")
    if answer == "yes":
        messages.success(request, "People who have your email address in their contacts can now see you.")
    else:
        messages.success(request, "People cannot find you here by your email address.")
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(next_url)
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
