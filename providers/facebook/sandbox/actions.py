"""Facebook's own provider-side actions on the sandbox index: "Remove this app" and letting
data access lapse.

"Remove this app" is what a person does in Facebook's "Apps and websites" settings: every
token dies, then Facebook calls the app's deauthorize and data-deletion callbacks, signed.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from providers.facebook.sandbox import callbacks
from providers.facebook.sandbox import services as fb_services
from sandbox.models import SandboxPerson


@require_POST
def data_access_expire(request: HttpRequest, person_id: int) -> HttpResponse:
    """Facebook: let this person's data access lapse, as 90 days without using the app would."""
    person = get_object_or_404(SandboxPerson, pk=person_id)
    count = fb_services.facebook_data_access_expire(person=person, client_id=settings.FACEBOOK_APP_ID)
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
