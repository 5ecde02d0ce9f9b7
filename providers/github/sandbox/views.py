"""Emulated GitHub: the web flow on ``…/sandbox/github`` and the REST API on ``…/sandbox/github-api``.

Wire formats:
- Authorize / token: https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps
- Authorization errors (``access_denied`` with ``error_description`` and ``error_uri``):
  https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-authorization-request-errors
- Token errors, sent as HTTP 200:
  https://docs.github.com/en/apps/oauth-apps/maintaining-oauth-apps/troubleshooting-oauth-app-access-token-request-errors
- Refresh: https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/refreshing-user-access-tokens
- ``/user``, ``/user/emails``, ``/user/following``: https://docs.github.com/en/rest/users
- Grant revocation: https://docs.github.com/en/rest/apps/oauth-applications#delete-an-app-authorization
- Rate-limit headers and secondary limits: https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from providers.github.sandbox import services, wire
from sandbox import crypto, faults, switches
from sandbox import services as core
from sandbox.models import SandboxToken, TokenKind
from sandbox.views.common import (
    avatar_url,
    chosen_person,
    client_credentials,
    error_page,
    redirect_back,
    redirect_uri_registered,
)

PROVIDER = "github"
AUTHORIZE_ERRORS = f"{wire.DOCS}/apps/managing-oauth-apps/troubleshooting-authorization-request-errors/"
SCOPES = ("read:user", "user:email")
DENIED = {
    "error": "access_denied",
    "error_description": "The user has denied your application access.",
    "error_uri": f"{AUTHORIZE_ERRORS}#access-denied",
}


def issuer(request: HttpRequest) -> str:
    """What GitHub sends as RFC 9207 ``iss``: its ``/login/oauth``, here under the sandbox."""
    return request.build_absolute_uri(reverse("sandbox:index")).rstrip("/") + "/github/login/oauth"


# --- web flow -----------------------------------------------------------------------------


def authorize(request: HttpRequest) -> HttpResponse:
    """``/login/oauth/authorize``: the consent page (GET); Authorize or Cancel (POST)."""
    params = request.GET
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    if client_id != settings.GITHUB_CLIENT_ID:
        return error_page(
            request, provider=PROVIDER, title="404", detail="The OAuth app was not found.", status=404
        )
    if not redirect_uri_registered(redirect_uri, provider=PROVIDER):
        # GitHub's page: "The redirect_uri is not associated with this application."; no redirect.
        return error_page(
            request,
            provider=PROVIDER,
            title="Be careful!",
            detail="The redirect_uri is not associated with this application.",
            redirect_uri=redirect_uri,
        )
    challenge = params.get("code_challenge", "")
    method = params.get("code_challenge_method", "")
    if challenge and method != "S256":
        # GitHub supports S256 only (changelog 2025-07-14).
        return error_page(
            request, provider=PROVIDER, title="Error", detail="code_challenge_method must be S256."
        )
    state = params.get("state")
    extra = {"state": state} if state is not None else {}
    extra["iss"] = issuer(request)
    requested = [s for s in params.get("scope", "").replace(",", " ").split() if s]

    if request.method == "POST":
        if "cancel" in request.POST:
            return redirect_back(redirect_uri, {**DENIED, **extra})
        person = chosen_person(request)
        if person is not None:
            code = services.code_issue(
                person=person,
                client_id=client_id,
                redirect_uri=redirect_uri,
                scopes=requested,
                code_challenge=challenge,
            )
            return redirect_back(redirect_uri, {"code": code.value, **extra})

    core.ensure_roster()
    context = {
        "people": core.roster(),
        "always": requested,
        "optional": [],
        "action": request.get_full_path(),
        "app_tokens": switches.is_on(PROVIDER, "app_tokens"),
    }
    return render(request, "github_sandbox/consent.html", context)


def _token_error(request: HttpRequest, code: str) -> HttpResponse:
    return _token_body(request, wire.token_error_body(code))


def _token_body(request: HttpRequest, body: Mapping[str, object]) -> HttpResponse:
    """JSON with ``Accept: application/json``, else GitHub's default form encoding; always 200."""
    if "application/json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse(body)
    else:
        response = HttpResponse(
            urlencode({k: str(v) for k, v in body.items()}), content_type="application/x-www-form-urlencoded"
        )
    response["Cache-Control"] = "no-store"
    return response


@sensitive_variables("credentials")
def _client_ok(request: HttpRequest) -> bool:
    credentials = client_credentials(request, form_encoded=False)
    return (
        credentials is not None
        and credentials[0] == settings.GITHUB_CLIENT_ID
        and crypto.constant_time_equal(credentials[1], settings.GITHUB_CLIENT_SECRET)
    )


def _tokens_answer(request: HttpRequest, tokens: services.Tokens, fault: str | None) -> HttpResponse:
    body: dict[str, object] = {"access_token": tokens.access.value, "token_type": "bearer"}
    if tokens.refresh is None:
        body["scope"] = ",".join(tokens.access.scope_list)
    else:
        # App user tokens: no scopes (the App's permissions apply), an expiry and a refresh token.
        body.update(
            expires_in=tokens.access.seconds_left(),
            refresh_token=tokens.refresh.value,
            refresh_token_expires_in=tokens.refresh.seconds_left(),
            scope="",
        )
    if fault in faults.EXPIRES_IN_MODES:
        return faults.token_answer(body, fault)
    return _token_body(request, body)


@csrf_exempt
@require_POST
def access_token(request: HttpRequest) -> HttpResponse:
    """``/login/oauth/access_token``: a code (with its PKCE verifier) or a refresh token."""
    fault = faults.take(PROVIDER, "token")
    canned = faults.answer(PROVIDER, "token", fault)
    if canned is not None:
        return canned
    if not _client_ok(request):
        return _token_error(request, "incorrect_client_credentials")
    params = request.POST
    if params.get("grant_type") == "refresh_token":
        try:
            refresh = core.token_resolve(
                provider=PROVIDER, value=params.get("refresh_token", ""), kind=TokenKind.REFRESH
            )
        except core.GrantError:
            return _token_error(request, "bad_refresh_token")
        return _tokens_answer(request, services.tokens_rotate(refresh=refresh), fault)
    try:
        code = core.code_redeem(
            provider=PROVIDER,
            value=params.get("code", ""),
            client_id=settings.GITHUB_CLIENT_ID,
            redirect_uri=params.get("redirect_uri", ""),
            code_verifier=params.get("code_verifier") or None,
        )
    except core.GrantError as error:
        if error.reason == "redirect_mismatch":
            return _token_error(request, "redirect_uri_mismatch")
        return _token_error(request, "bad_verification_code")
    tokens = services.tokens_issue(
        person=code.person,
        client_id=code.client_id,
        scopes=code.scope_list,
        app_tokens=switches.is_on(PROVIDER, "app_tokens"),
        code=code,
    )
    return _tokens_answer(request, tokens, fault)


# --- REST API -----------------------------------------------------------------------------


def _bearer(request: HttpRequest) -> str:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() in ("bearer", "token") else ""


def _api_call(request: HttpRequest, endpoint: str) -> tuple[SandboxToken | None, HttpResponse | None]:
    """The caller's live token, or the answer GitHub gives instead (faults, 401, rate limits)."""
    mode = faults.take(PROVIDER, endpoint)
    # rate_limited uses up the caller's hour, so it waits until the caller is known.
    canned = None if mode == "rate_limited" else faults.answer(PROVIDER, endpoint, mode)
    if canned is not None:
        return None, canned
    try:
        token = core.token_resolve(provider=PROVIDER, value=_bearer(request))
    except core.GrantError:
        return None, wire.bad_credentials()
    if mode == "rate_limited":
        services.rate_exhaust(person=token.person)
    state = services.rate_state(person=token.person)
    if state.remaining == 0:
        return None, wire.primary_limit_exceeded(state)
    return token, None


def _counted(request: HttpRequest, token: SandboxToken, response: HttpResponse) -> HttpResponse:
    state = (
        services.rate_count(person=token.person)
        if response.status_code != 304
        else services.rate_state(person=token.person)
    )
    for name, value in wire.rate_headers(state).items():
        response[name] = value
    return response


def user_json(request: HttpRequest, person) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "login": services.github_login(person),
        "id": services.github_id(person),
        "avatar_url": avatar_url(request, person),
        "type": "User",
    }


@csrf_exempt
@require_GET
def user(request: HttpRequest) -> HttpResponse:
    """``GET /user``: ``email`` is the public address, null unless the person made one public."""
    token, refused = _api_call(request, "user")
    if refused is not None:
        return refused
    assert token is not None
    body = {**user_json(request, token.person), "name": token.person.name, "email": None}
    return _counted(request, token, JsonResponse(body))


@csrf_exempt
@require_GET
def emails(request: HttpRequest) -> HttpResponse:
    """``GET /user/emails`` (needs ``user:email``): the person's addresses, verified or not."""
    token, refused = _api_call(request, "emails")
    if refused is not None:
        return refused
    assert token is not None
    if "user:email" not in token.scope_list and "user" not in token.scope_list and token.scope_list:
        return _counted(request, token, wire.api_error("Resource not accessible by integration", 403))
    person = token.person
    body = [
        {"email": person.email, "primary": True, "verified": person.email_verified, "visibility": "private"}
    ]
    return _counted(request, token, JsonResponse(body, safe=False))


@csrf_exempt
@require_GET
def following(request: HttpRequest) -> HttpResponse:
    """``GET /user/following?per_page&page``: ``Link`` paging, ETags, 304 on ``If-None-Match``."""
    token, refused = _api_call(request, "following")
    if refused is not None:
        return refused
    assert token is not None
    try:
        per_page = max(1, min(100, int(request.GET.get("per_page", "30"))))
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        per_page, page = 30, 1
    people, more, last = services.following_page(person=token.person, page=page, per_page=per_page)
    etag = services.page_etag(people, page, per_page)
    links = []
    base = request.build_absolute_uri(request.path)
    if more:
        links.append(f'<{base}?{urlencode({"per_page": per_page, "page": page + 1})}>; rel="next"')
        links.append(f'<{base}?{urlencode({"per_page": per_page, "page": last})}>; rel="last"')
    if page > 1:
        links.append(f'<{base}?{urlencode({"per_page": per_page, "page": 1})}>; rel="first"')
        links.append(f'<{base}?{urlencode({"per_page": per_page, "page": page - 1})}>; rel="prev"')
    if request.headers.get("If-None-Match") == etag:
        response: HttpResponse = HttpResponse(status=304)
    else:
        response = HttpResponse(
            json.dumps([user_json(request, p) for p in people]),
            content_type="application/json; charset=utf-8",
        )
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=60, s-maxage=60"
    response["Vary"] = "Accept, Authorization, Cookie"
    if links:
        response["Link"] = ", ".join(links)
    return _counted(request, token, response)


@csrf_exempt
@require_http_methods(["DELETE"])
@sensitive_variables("value")
def grant_delete(request: HttpRequest, client_id: str) -> HttpResponse:
    """``DELETE /applications/{client_id}/grant``: Basic client credentials, body ``{"access_token"}``."""
    canned = faults.answer(PROVIDER, "revoke", faults.take(PROVIDER, "revoke"))
    if canned is not None:
        return canned
    if client_id != settings.GITHUB_CLIENT_ID or not _client_ok(request):
        return wire.api_error("Not Found", 404)
    try:
        value = json.loads(request.body or b"{}").get("access_token", "")
    except (ValueError, AttributeError):
        return wire.api_error("Problems parsing JSON", 400)
    try:
        token = core.token_resolve(provider=PROVIDER, value=value)
    except core.GrantError:
        return wire.api_error("Not Found", 404)
    services.grant_revoke(person=token.person, client_id=client_id)
    return HttpResponse(status=204)
