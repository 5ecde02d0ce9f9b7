"""Thin views: the friends page and its Refresh button."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from friends import services, tasks
from friends.models import SYNC_LEASE
from friends.selectors import DisplayState, friends_sections_for, links_to_sync
from providers import registry
from socialsite.ratelimits import rate_limited, wait_words

MAX_QUERY_LENGTH = 100
RELOAD_SECONDS = 3


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:MAX_QUERY_LENGTH]
    page_numbers = {p.name: request.GET.get(f"page_{p.name}") for p in registry.with_friends()}
    sections = friends_sections_for(request.user, query=query, page_numbers=page_numbers)  # type: ignore[arg-type]
    user = request.user
    # Asked once, here, where the badges are: it is their own email that would be matched.
    ask_findable = bool(user.email) and user.findable_by_email_answered_at is None  # type: ignore[union-attr]
    # A sync under way (or not yet run after a recent sign-in): the page follows it, reloading
    # itself. A first sync that has not come within a lease of signing in was lost (broker or
    # worker down): the page stops waiting and offers "Fetch now" instead of reloading for ever.
    last_login = user.last_login  # type: ignore[union-attr]
    signed_in_lately = last_login is not None and timezone.now() - last_login < SYNC_LEASE
    waiting = any(
        section.state == DisplayState.SYNCING
        or (section.state == DisplayState.NEVER_SYNCED and signed_in_lately)
        for section in sections
    )
    context = {
        "sections": sections,
        "query": query,
        "ask_findable": ask_findable,
        "reload_in": RELOAD_SECONDS if waiting else 0,
    }
    return render(request, "friends/index.html", context)


@login_required
@require_POST
@rate_limited("friends_refresh")
def refresh(request: HttpRequest) -> HttpResponse:
    provider = request.POST.get("provider") or None
    link_ids = links_to_sync(request.user, provider)  # type: ignore[arg-type]
    if not link_ids:
        names = [p.label for p in registry.with_friends()]
        labels = " or ".join([", ".join(names[:-1]), names[-1]] if len(names) > 2 else names)
        messages.error(request, f"Link {labels} first: there is nothing to refresh yet.")
        return redirect("friends:index")
    # One person pressing again and again must not spend everyone's provider quota.
    answers = [services.sync_request(link_id=link_id) for link_id in link_ids]
    for link_id, answer in zip(link_ids, answers, strict=True):
        if answer.decision == services.RefreshDecision.QUEUED:
            tasks.queue_sync(link_id)
    decisions = {answer.decision for answer in answers}
    if services.RefreshDecision.QUEUED in decisions:
        messages.success(request, "Refreshing: your friends and contacts will be up to date in a moment.")
    elif services.RefreshDecision.ALREADY_QUEUED in decisions:
        messages.info(
            request, "A refresh is already on its way: your friends and contacts will be up to date soon."
        )
    else:
        wait = wait_words(max(answer.retry_in for answer in answers))
        messages.info(request, f"Refreshed just now. Next refresh possible in {wait}.")
    return redirect("friends:index")
