"""The index page's provider-side action on a person's grant to socialsite.

"Revoke socialsite's access" is what a person does in their account's security settings at
the provider: every token dies there, and the app only learns of it at its next call.
A provider's emulator may offer more (``Emulator.person_actions``), served from its package.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.db.models import Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from providers import registry
from sandbox import faults, services
from sandbox.models import SandboxPerson, SandboxToken


def client_id_of(provider: str) -> str | None:
    """The client id socialsite is registered under at ``provider``'s emulator, or None."""
    emulator = faults.emulators().get(provider)
    return getattr(settings, emulator.client_id_setting) if emulator is not None else None


@dataclass(frozen=True)
class Access:
    provider: str
    label: str
    granted: bool
    actions: tuple[tuple[str, str, str], ...]  # (button, URL, CSS class) beyond "Revoke"


@dataclass(frozen=True)
class PersonAccess:
    pk: int
    name: str
    providers: list[Access]


def people_with_access() -> list[PersonAccess]:
    """The roster, each with whether they hold a live token of socialsite's at each provider."""
    now = timezone.now()
    emulators = faults.emulators()
    live = SandboxToken.objects.filter(person=OuterRef("pk"), revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    people = services.roster().annotate(
        **{
            f"access_{name}": Exists(live.filter(provider=name, client_id=client_id_of(name)))
            for name in emulators
        }
    )
    return [
        PersonAccess(
            pk=person.pk,
            name=person.name,
            providers=[
                Access(
                    provider=name,
                    label=registry.any_provider(name).label,
                    granted=getattr(person, f"access_{name}"),
                    actions=tuple(
                        (label, reverse(url_name, args=[person.pk]), css)
                        for label, url_name, css in emulator.person_actions
                    ),
                )
                for name, emulator in emulators.items()
            ],
        )
        for person in people
    ]


@require_POST
def grant_revoke(request: HttpRequest, person_id: int, provider: str) -> HttpResponse:
    """Revoke every token ``provider`` issued to socialsite for this person."""
    client_id = client_id_of(provider)
    if client_id is None:
        raise Http404("no such provider")
    person = get_object_or_404(SandboxPerson, pk=person_id)
    revoked = services.grant_revoke(provider=provider, person=person, client_id=client_id)
    label = registry.any_provider(provider).label
    if revoked:
        messages.success(
            request, f"{label}: revoked socialsite's access for {person.name} ({revoked} token(s))."
        )
    else:
        messages.info(request, f"{label}: {person.name} had not granted socialsite any access.")
    return redirect("sandbox:index")
