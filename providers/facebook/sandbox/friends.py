"""Emulated Graph API friends edge: ``GET /v{ver}/me/friends``.

https://developers.facebook.com/docs/graph-api/reference/user/friends
Paging: https://developers.facebook.com/docs/graph-api/results (cursor-based pagination)
"""

from __future__ import annotations

import re
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from providers.facebook.sandbox import wire as fb_wire
from providers.facebook.sandbox.views import _authenticated
from sandbox import faults, social
from sandbox.models import SandboxPerson

# Fields a friend node can answer here; ``fields`` narrows the default (all three).
FRIEND_FIELDS = ("id", "name", "picture")


def _limit(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return social.FRIENDS_DEFAULT_LIMIT
    if not raw.isdigit():
        return None
    # Graph quietly caps a limit above the edge's maximum.
    return max(1, min(int(raw), social.FRIENDS_MAX_LIMIT))


def _page_url(request: HttpRequest, **params: str | int) -> str:
    """An absolute paging URL on this Graph host. Unlike Graph, it never carries the
    access token: clients should follow cursors, not these URLs."""
    return request.build_absolute_uri(request.path) + "?" + urlencode(params)


def _loop_cursors(
    paging: dict[str, object],
    request: HttpRequest,
    base: dict[str, str | int],
    *,
    person: SandboxPerson,
    client_id: str,
) -> None:
    """The ``paging_loop`` fault: ``after`` cursors that go round, A, B, A, … (A leads past
    the first friend, B past the second), always with a ``next``."""
    first_two = social.friends_slice(person=person, client_id=client_id, limit=2).friends
    if len(first_two) < 2:
        return
    a, b = (social.friend_cursor(friend.pk) for friend in first_two)
    after = b if request.GET.get("after") == a else a
    cursors = paging.get("cursors")
    if isinstance(cursors, dict):
        cursors["after"] = after
    paging["next"] = _page_url(request, **base, after=after)


@csrf_exempt
@require_GET
def friends(request: HttpRequest, version: str) -> HttpResponse:
    """``/me/friends?limit=&after=|before=&fields=``: friends who use this app, total of all."""
    mode = faults.take("facebook", "friends")
    canned = faults.answer("facebook", "friends", mode)
    if canned is not None:
        return canned
    token = _authenticated(request)
    if isinstance(token, JsonResponse):
        return token
    if token.data_access_lapsed():
        return fb_wire.facebook_data_access_expired()
    if "user_friends" not in token.scope_list:
        return fb_wire.facebook_error("(#200) Requires user_friends permission", code=200)
    limit = _limit(request.GET.get("limit"))
    if limit is None:
        return fb_wire.facebook_error("(#100) Param limit must be a number", code=100)
    requested = request.GET.get("fields", ",".join(FRIEND_FIELDS)).split(",")
    # Graph field syntax allows modifiers (picture.type(large), picture{url}); the base name counts.
    names = [re.split(r"[.{]", f.strip(), maxsplit=1)[0] for f in requested if f.strip()]
    for name in names:
        if name not in FRIEND_FIELDS:
            return fb_wire.facebook_error(
                f"(#100) Tried accessing nonexisting field ({name}) on node type (User)", code=100
            )
    after, before = request.GET.get("after"), request.GET.get("before")
    try:
        page = social.friends_slice(
            person=token.person, client_id=token.client_id, limit=limit, after=after, before=before
        )
    except social.BadToken:
        return fb_wire.facebook_error("(#100) The after/before cursor is invalid", code=100)

    # One reverse for the whole page: 5,000 friends stay cheap to render.
    avatar = request.build_absolute_uri(reverse("sandbox:avatar", args=[0])).replace("/0.svg", "/{}.svg")
    data = []
    for friend in page.friends:
        node: dict[str, object] = {"id": friend.facebook_id}
        if "name" in names:
            node["name"] = friend.name
        if "picture" in names:
            node["picture"] = {"data": {"url": avatar.format(friend.pk), "height": 50, "width": 50,
                                        "is_silhouette": False}}  # fmt: skip
        data.append(node)

    body: dict[str, object] = {"data": data}
    if data:
        paging: dict[str, object] = {"cursors": {"before": page.before, "after": page.after}}
        base: dict[str, str | int] = {"limit": limit}
        if "fields" in request.GET:
            base["fields"] = request.GET["fields"]
        if page.has_previous:
            paging["previous"] = _page_url(request, **base, before=page.before or "")
        if page.has_next:
            paging["next"] = _page_url(request, **base, after=page.after or "")
        if mode == "paging_loop":
            _loop_cursors(paging, request, base, person=token.person, client_id=token.client_id)
        body["paging"] = paging
    body["summary"] = {"total_count": page.total_count}
    return JsonResponse(body)
