"""The index page's provider-side actions on a person's grant to socialsite.

"Revoke socialsite's access" is what a person does in their Google account's security
page or Facebook's "Apps and websites" settings: every token dies at the provider, and
the app only learns of it at its next call (``invalid_grant`` / Graph error 190).
"Remove this app" is Facebook's variant that also calls the app back, signed.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from sandbox import callbacks, services
from sandbox.models import Provider, SandboxPerson, SandboxToken

_CLIENT_ID_SETTINGS: dict[str, str] = {
    Provider.FACEBOOK: "FACEBOOK_APP_ID",
    Provider.GOOGLE: "GOOGLE_CLIENT_ID",
}


def people_with_access() -> QuerySet[SandboxPerson]:
    """The roster, each with ``facebook_access`` / ``google_access``: holds a live token of socialsite's."""
    now = timezone.now()
    live = SandboxToken.objects.filter(person=OuterRef("pk"), revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    return services.roster().annotate(
        facebook_access=Exists(live.filter(provider=Provider.FACEBOOK, client_id=settings.FACEBOOK_APP_ID)),
        google_access=Exists(live.filter(provider=Provider.GOOGLE, client_id=settings.GOOGLE_CLIENT_ID)),
    )


@require_POST
def grant_revoke(request: HttpRequest, person_id: int, provider: str) -> HttpResponse:
    """Revoke every token ``provider`` issued to socialsite for this person."""
    if provider not in _CLIENT_ID_SETTINGS:
        raise Http404("no such provider")
    person = get_object_or_404(SandboxPerson, pk=person_id)
    client_id = getattr(settings, _CLIENT_ID_SETTINGS[provider])
    revoked = services.grant_revoke(provider=provider, person=person, client_id=client_id)
    label = Provider(provider).label
    if revoked:
        messages.success(
            request, f"{label}: revoked socialsite's access for {person.name} ({revoked} token(s))."
        )
    else:
        messages.info(request, f"{label}: {person.name} had not granted socialsite any access.")
    return redirect("sandbox:index")


@require_POST
def data_access_expire(request: HttpRequest, person_id: int) -> HttpResponse:
    """Facebook: let this person's data access lapse, as 90 days without using the app would."""
    person = get_object_or_404(SandboxPerson, pk=person_id)
    count = services.facebook_data_access_expire(person=person, client_id=settings.FACEBOOK_APP_ID)
    messages.success(
        request,
        f"Facebook: data access of socialsite for {person.name} has expired ({count} token(s)); "
        "Graph answers error 190/493 until they sign in with auth_type=reauthorize.",
    )
    return redirect("sandbox:index")


@require_POST
def app_remove(request: HttpRequest, person_id: int) -> HttpResponse:
    """Facebook's "Remove this app": revoke, then send both signed callbacks to the app."""
    person = get_object_or_404(SandboxPerson, pk=person_id)
    answers = callbacks.app_remove(person=person, urls=callbacks.callback_urls(request))
    messages.success(request, f"Facebook: {person.name} removed socialsite; its tokens are revoked.")
    for answer in answers:
        _report(request, answer)
    return redirect("sandbox:index")


def _report(request: HttpRequest, answer: callbacks.CallbackAnswer) -> None:
    """One short message per callback (messages ride in a cookie: keep them small)."""
    name = answer.name.replace("_", "-")
    if answer.status is None:
        messages.error(request, f"{name} callback {answer.url} could not be reached: {answer.error}.")
        return
    body = answer.body if isinstance(answer.body, dict) else {}
    if answer.ok and "confirmation_code" in body and "url" in body:
        messages.success(
            request,
            format_html(
                '{} callback answered {}: confirmation code <code>{}</code>, status page <a href="{}">{}</a>',
                name,
                answer.status,
                body["confirmation_code"],
                body["url"],
                body["url"],
            ),
        )
        return
    level = messages.SUCCESS if answer.ok else messages.ERROR
    shown = str(answer.body)[:200]
    messages.add_message(request, level, f"{name} callback answered {answer.status}: {shown}")
