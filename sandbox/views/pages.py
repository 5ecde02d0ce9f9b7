"""The sandbox's own pages: the index (roster, faults) and the people's avatars."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from providers import registry
from sandbox import faults, services, social, switches
from sandbox.forms import ArmFaultForm
from sandbox.models import SandboxPerson
from sandbox.views.revocation import people_with_access

# Avatar backgrounds, picked by person id so each keeps theirs.
_COLOURS = ("#1877f2", "#0f9d58", "#db4437", "#f4b400", "#7e57c2", "#00897b", "#ef6c00", "#5c6bc0")


def _index_context(request: HttpRequest, form: ArmFaultForm | None = None) -> dict[str, object]:
    services.ensure_roster()
    emulators = faults.emulators()
    people = list(services.roster())
    return {
        "people": people,
        "armed": faults.armed(),
        "switches": switches.states(),
        "form": form or ArmFaultForm(),
        "emulators": [
            {
                "name": name,
                "label": registry.any_provider(name).label,
                "rows": emulator.index_rows(request),
                "identity_label": emulator.identity_label,
                "access_note": emulator.access_note,
            }
            for name, emulator in emulators.items()
        ],
        "roster": [
            (person, [emulator.identity(person) for emulator in emulators.values()]) for person in people
        ],
        "graph": social.graph_counts(),
        "access": people_with_access(),
    }


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """What the sandbox is, who you can sign in as, and which faults are armed."""
    return render(request, "sandbox/index.html", _index_context(request))


@require_POST
def fault_arm(request: HttpRequest) -> HttpResponse:
    """Arm a fault from the index page's form (CSRF-protected)."""
    form = ArmFaultForm(request.POST)
    if not form.is_valid():
        return render(request, "sandbox/index.html", _index_context(request, form), status=400)
    form.arm()
    return redirect("sandbox:index")


@require_POST
def fault_clear(request: HttpRequest) -> HttpResponse:
    """Disarm every fault."""
    faults.clear()
    return redirect("sandbox:index")


@require_POST
def switch_set(request: HttpRequest, provider: str, name: str) -> HttpResponse:
    """Turn a switch on (``on=1``) or off from the index page (CSRF-protected)."""
    try:
        if request.POST.get("on") == "1":
            switches.turn_on(provider, name)
        else:
            switches.turn_off(provider, name)
    except switches.UnknownSwitch:
        return HttpResponse("No such sandbox switch.", status=404, content_type="text/plain")
    return redirect(reverse("sandbox:index") + "#switches")


@require_GET
@cache_control(max_age=86400, public=True)
def avatar(request: HttpRequest, person_id: int) -> HttpResponse:
    """A 50x50 SVG with the person's initials: the picture URL every emulator hands out."""
    person = get_object_or_404(SandboxPerson, pk=person_id)
    colour = _COLOURS[person.pk % len(_COLOURS)]
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="50" height="50" viewBox="0 0 50 50">'
        f'<rect width="50" height="50" rx="25" fill="{colour}"/>'
        '<text x="25" y="31" font-family="system-ui,Arial,sans-serif" font-size="18" font-weight="600" '
        f'fill="#fff" text-anchor="middle">{escape(person.initials)}</text></svg>'
    )
    return HttpResponse(svg, content_type="image/svg+xml")
