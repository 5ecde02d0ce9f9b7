"""Thin views: the home page, the signed-in account page, sign-out and a health probe."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from social_django import views as social_views

from accounts import services, vault
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


# Seconds between reloads of a page that shows work the worker is doing for the person.
RELOAD_SECONDS = 2


@login_required
@require_GET
def account(request: SignedInRequest) -> HttpResponse:
    links = linked_accounts_for(request.user)
    pending = any(link.disconnecting for link in links)
    # ?disconnected=<provider>: the Disconnect the person pressed; once the worker is done, say so.
    asked = registry.find(request.GET.get("disconnected", ""))
    if asked and not pending and not any(link.linked and link.provider == asked.name for link in links):
        messages.success(request, f"{asked.label} is disconnected and its access has been revoked.")
        return redirect("account")
    # Whose people find the person by their provider id whatever the email setting says.
    matched_by_uid = [p for p in registry.with_friends() if p.friends and p.friends.match == Match.UID]
    return render(
        request,
        "accounts/account.html",
        {"links": links, "matched_by_uid": matched_by_uid, "reload_in": RELOAD_SECONDS if pending else 0},
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
        done = services.link_disconnect(user=request.user, provider=provider)
    except services.LastSignInMethod:
        messages.error(
            request,
            f"{label} is your only way to sign in, so it cannot be disconnected. "
            "Link another provider first, or delete your account.",
        )
        return redirect("account")
    if done:
        messages.success(request, f"{label} is disconnected and its access has been revoked.")
        return redirect("account")
    # The worker revokes (it holds the keys): the page shows "Disconnecting…" until it is done.
    return redirect(f"{reverse('account')}?{urlencode({'disconnected': provider})}")


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
    if services.account_delete_request(user=user):
        messages.success(request, "Your account and everything we kept for it have been deleted.")
        return redirect("home")
    # The worker revokes and deletes (it holds the keys); this page follows it, by a signed ticket.
    ticket = signing.dumps(user.pk, salt=DELETION_SALT)
    return redirect("account_deleting", ticket=ticket)


DELETION_SALT = "accounts.deletion"
DELETION_TICKET_MAX_AGE = 24 * 3600


@require_GET
def account_deleting(request: HttpRequest, ticket: str) -> HttpResponse:
    """Progress of "Delete my account": "Deleting…", reloading, until the worker is done."""
    try:
        user_id = signing.loads(ticket, salt=DELETION_SALT, max_age=DELETION_TICKET_MAX_AGE)
    except signing.BadSignature:
        return redirect("home")
    done = not User.objects.filter(pk=user_id).exists()
    return render(
        request, "accounts/deleting.html", {"done": done, "reload_in": 0 if done else RELOAD_SECONDS}
    )


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
        if vault.mode() == vault.SEALED:
            body["detail"] = (
                f"{unreadable} grant(s) cannot be opened with the worker's TOKEN_SEAL_PRIVATE_KEYS: "
                "restore the missing private key on the worker (rotate_token_keys --check counts them)"
            )
        else:
            body["detail"] = (
                f"{unreadable} grant(s) cannot be opened with the configured TOKEN_ENCRYPTION_KEYS: "
                "restore the missing key on every process (rotate_token_keys --check counts them)"
            )
    return JsonResponse(body)
