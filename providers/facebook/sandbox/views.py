"""Emulated Facebook Login dialog and Graph API.

Wire formats follow https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow/
and https://developers.facebook.com/docs/graph-api/guides/error-handling/.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods

from providers.facebook.client import appsecret_proof
from providers.facebook.sandbox import services as fb_services
from providers.facebook.sandbox import wire as fb_wire
from sandbox import crypto, faults, services
from sandbox.models import SandboxPerson, SandboxToken
from sandbox.views.common import avatar_url, chosen_person, error_page, redirect_back, redirect_uri_registered

ALWAYS_GRANTED = "public_profile"
# Graph's fragment on every dialog redirect, kept so clients that strip it are exercised.
FRAGMENT = "_=_"
# Fields /me can answer; anything else is Graph's "nonexisting field" error.
ME_FIELDS = ("id", "name", "first_name", "last_name", "short_name", "email", "picture")


def _requested_scopes(raw: str) -> list[str]:
    # Facebook separates scopes with commas; tolerate spaces as its dialog does.
    scopes: list[str] = []
    for scope in re.split(r"[,\s]+", raw):
        if scope and scope not in scopes:
            scopes.append(scope)
    return scopes


def dialog(request: HttpRequest, version: str) -> HttpResponse:
    """``/v{ver}/dialog/oauth``: consent page (GET); Continue or Cancel (POST, same URL)."""
    params = request.GET
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    if client_id != settings.FACEBOOK_APP_ID:
        return error_page(
            request,
            provider="facebook",
            title="Invalid App ID",
            detail="The provided app ID does not look like a valid app ID.",
        )
    if not redirect_uri_registered(redirect_uri, provider="facebook"):
        # Facebook's own words on this page; it never redirects to an unregistered URI.
        return error_page(
            request,
            provider="facebook",
            title="URL blocked",
            detail="This redirect failed because the redirect URI is not whitelisted in the app's "
            "Client OAuth Settings. Make sure Client and Web OAuth Login are on and add all your app "
            "domains as Valid OAuth Redirect URIs.",
            redirect_uri=redirect_uri,
        )
    state = params.get("state")
    requested = [s for s in _requested_scopes(params.get("scope", "")) if s != ALWAYS_GRANTED]
    extra = {"state": state} if state is not None else {}

    if request.method == "POST":
        if "cancel" in request.POST:
            return redirect_back(
                redirect_uri,
                {
                    "error": "access_denied",
                    "error_code": "200",
                    "error_description": "Permissions error",
                    "error_reason": "user_denied",
                    **extra,
                },
                fragment=FRAGMENT,
            )
        person = chosen_person(request)
        if person is not None:
            ticked = set(request.POST.getlist("scope"))
            granted = [ALWAYS_GRANTED] + [s for s in requested if s in ticked]
            denied = [s for s in requested if s not in ticked]
            code = services.code_issue(
                provider="facebook",
                person=person,
                client_id=client_id,
                redirect_uri=redirect_uri,
                scopes=granted,
                # auth_type=reauthorize: the person confirms again, which restores data access.
                prompt_consent=params.get("auth_type") == "reauthorize",
            )
            return redirect_back(
                redirect_uri,
                {
                    "code": code.value,
                    **extra,
                    "granted_scopes": ",".join(granted),
                    "denied_scopes": ",".join(denied),
                },
                fragment=FRAGMENT,
            )

    services.ensure_roster()
    context = {
        "people": services.roster(),
        "requested": requested,
        "always_granted": [ALWAYS_GRANTED],
        "rerequest": params.get("auth_type") == "rerequest",
        "reauthorize": params.get("auth_type") == "reauthorize",
        "action": request.get_full_path(),
        "version": version,
    }
    return render(request, "sandbox/facebook_consent.html", context)


# --- Graph API ------------------------------------------------------------------------


@sensitive_variables("client_secret")
def _client_error(client_id: str, client_secret: str) -> JsonResponse | None:
    if client_id != settings.FACEBOOK_APP_ID:
        return fb_wire.facebook_error("Error validating application. Invalid application ID.", code=101)
    if not crypto.constant_time_equal(client_secret, settings.FACEBOOK_APP_SECRET):
        return fb_wire.facebook_error("Error validating client secret.", code=1)
    return None


_CODE_ERRORS: dict[str, tuple[str, int | None]] = {
    "used": ("This authorization code has been used.", 36009),
    "expired": ("This authorization code has expired.", 36007),
    "redirect_mismatch": (
        "Error validating verification code. Please make sure your redirect_uri is identical "
        "to the one you used in the OAuth dialog request",
        36008,
    ),
    "unknown": ("Invalid verification code format.", None),
}


def _token_answer(token: SandboxToken, fault: str | None = None) -> HttpResponse:
    body = {"access_token": token.value, "token_type": "bearer", "expires_in": token.seconds_left()}
    return faults.token_answer(body, fault)


@csrf_exempt
@require_http_methods(["GET", "POST"])
@sensitive_variables("client_secret")
def access_token(request: HttpRequest, version: str) -> HttpResponse:
    """``/v{ver}/oauth/access_token``: code → short-lived token, or ``fb_exchange_token``."""
    params = request.POST if request.method == "POST" else request.GET
    exchange = params.get("grant_type") == "fb_exchange_token"
    endpoint = "exchange" if exchange else "token"
    fault = faults.take("facebook", endpoint)
    canned = faults.answer("facebook", endpoint, fault)
    if canned is not None:
        return canned

    client_id = params.get("client_id", "")
    client_secret = params.get("client_secret", "")
    if (refused := _client_error(client_id, client_secret)) is not None:
        return refused

    if exchange:
        # https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived/
        try:
            token = services.token_resolve(
                provider="facebook", value=params.get("fb_exchange_token", "")
            )
        except services.GrantError as error:
            return fb_wire.facebook_token_invalid(463 if error.reason == "expired" else 467)
        if token.client_id != client_id:
            return fb_wire.facebook_token_invalid(467)
        return _token_answer(fb_services.facebook_token_exchange(token=token), fault)

    if not params.get("code"):
        return fb_wire.facebook_error("Missing authorization code", code=100)
    try:
        code = services.code_redeem(
            provider="facebook",
            value=params["code"],
            client_id=client_id,
            redirect_uri=params.get("redirect_uri", ""),
        )
    except services.GrantError as error:
        message, subcode = _CODE_ERRORS.get(error.reason, _CODE_ERRORS["unknown"])
        return fb_wire.facebook_error(message, code=100, subcode=subcode)
    return _token_answer(fb_services.facebook_token_for_code(code=code), fault)


def _bearer(request: HttpRequest) -> str:
    """The user token: ``access_token`` parameter, or ``Authorization: Bearer|OAuth <token>``."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and value.strip():
        return value.strip()
    return _arg(request, "access_token")


def _arg(request: HttpRequest, name: str) -> str:
    """A Graph argument from the query string or a form body (also on DELETE, which Django
    leaves unparsed: clients send the token and proof in the body there)."""
    if value := request.GET.get(name) or request.POST.get(name):
        return value
    if request.method == "DELETE" and request.content_type == "application/x-www-form-urlencoded":
        return QueryDict(request.body).get(name, "")
    return ""


def _authenticated(request: HttpRequest) -> SandboxToken | JsonResponse:
    """Resolve the token of a Graph call, checking ``appsecret_proof`` as apps that require it do."""
    value = _bearer(request)
    if not value:
        return fb_wire.facebook_error(
            "An active access token must be used to query information about the current user.", code=2500
        )
    proof = _arg(request, "appsecret_proof")
    expected = appsecret_proof(value, settings.FACEBOOK_APP_SECRET)
    if not proof or not crypto.constant_time_equal(proof, expected):
        return fb_wire.facebook_error(
            "Invalid appsecret_proof provided in the API argument", code=100, type_="GraphMethodException"
        )
    try:
        return services.token_resolve(provider="facebook", value=value)
    except services.GrantError as error:
        return fb_wire.facebook_token_invalid(463 if error.reason == "expired" else 467)


def _picture(request: HttpRequest, person: SandboxPerson) -> dict[str, object]:
    url = avatar_url(request, person)
    return {"data": {"url": url, "height": 50, "width": 50, "is_silhouette": False}}


@csrf_exempt
@require_GET
def me(request: HttpRequest, version: str) -> HttpResponse:
    """``/v{ver}/me?fields=…``: only the requested fields; ``email`` only if granted."""
    canned = faults.answer("facebook", "me", faults.take("facebook", "me"))
    if canned is not None:
        return canned
    token = _authenticated(request)
    if isinstance(token, JsonResponse):
        return token
    person = token.person
    # Graph field syntax allows modifiers (picture.type(large), picture{url}); the base name counts.
    fields = [re.split(r"[.{]", f, maxsplit=1)[0] for f in request.GET.get("fields", "id,name").split(",")]
    values: dict[str, object] = {
        "id": person.facebook_id,
        "name": person.name,
        "first_name": person.given_name,
        "last_name": person.family_name,
        "short_name": person.given_name,
    }
    body: dict[str, object] = {}
    for field in (f.strip() for f in fields):
        if not field:
            continue
        if field not in ME_FIELDS:
            return fb_wire.facebook_error(
                f"(#100) Tried accessing nonexisting field ({field}) on node type (User)", code=100
            )
        if field == "email":
            if "email" in token.scope_list:
                body["email"] = person.email
        elif field == "picture":
            body["picture"] = _picture(request, person)
        else:
            body[field] = values[field]
    body.setdefault("id", person.facebook_id)  # Graph always answers the node id
    return JsonResponse(body)


@csrf_exempt
@require_http_methods(["DELETE"])
def permissions(request: HttpRequest, version: str, uid: str) -> HttpResponse:
    """``DELETE /v{ver}/{uid}/permissions``: the person removes the app; all its tokens die."""
    canned = faults.answer("facebook", "revoke", faults.take("facebook", "revoke"))
    if canned is not None:
        return canned
    token = _authenticated(request)
    if isinstance(token, JsonResponse):
        return token
    if uid not in ("me", token.person.facebook_id):
        return fb_wire.facebook_error("(#200) Cannot remove permissions of another user", code=200)
    services.grant_revoke(provider="facebook", person=token.person, client_id=token.client_id)
    return JsonResponse({"success": True})


# --- Token inspection -------------------------------------------------------------------
# https://developers.facebook.com/docs/graph-api/reference/debug_token/

APP_NAME = "socialsite"
_DEBUG_ERRORS: dict[str, tuple[str, int]] = {
    "expired": ("Error validating access token: Session has expired.", 463),
    "revoked": (f"Error validating access token: The user has not authorized application {APP_NAME}.", 458),
}


def _inspector_error(request: HttpRequest) -> JsonResponse | None:
    """``access_token`` must be the app token ``APPID|APPSECRET`` or a valid user token of the app."""
    value = _arg(request, "access_token")
    if not value:
        return fb_wire.facebook_error("An access token is required to request this resource.", code=104)
    app_id, bar, secret = value.partition("|")
    if bar:
        if app_id != settings.FACEBOOK_APP_ID or not crypto.constant_time_equal(
            secret, settings.FACEBOOK_APP_SECRET
        ):
            return fb_wire.facebook_error("Invalid OAuth access token signature.", code=190)
        return None
    token = _authenticated(request)
    if isinstance(token, JsonResponse):
        return token
    if token.client_id != settings.FACEBOOK_APP_ID:
        return fb_wire.facebook_error(
            "(#100) You must provide an app access token, or a user access token that is an owner "
            "or developer of the app",
            code=100,
        )
    return None


def _debug_data(token: SandboxToken) -> dict[str, object]:
    issued_at = int(token.created_at.timestamp())
    # Data access lapses apart from the token (90 days after the person last used the app).
    # https://developers.facebook.com/docs/facebook-login/auth-vs-data/#data-access-expiration
    data_access = token.data_access_expires_at
    return {
        "app_id": token.client_id,
        "type": "USER",
        "application": APP_NAME,
        "data_access_expires_at": int(data_access.timestamp())
        if data_access
        else issued_at + fb_services.FACEBOOK_DATA_ACCESS_SECONDS,
        "expires_at": int(token.expires_at.timestamp()) if token.expires_at else 0,  # 0: never
        "is_valid": True,
        "issued_at": issued_at,
        "scopes": token.scope_list,
        "user_id": token.person.facebook_id,
    }


@csrf_exempt
@require_GET
def debug_token(request: HttpRequest, version: str | None = None) -> HttpResponse:
    """``/debug_token?input_token=…&access_token=…``: what Graph knows about a user token.

    An input token that is no good still answers 200, with ``is_valid: false`` and an
    ``error`` object inside ``data``, as Graph does.
    """
    if (refused := _inspector_error(request)) is not None:
        return refused
    value = request.GET.get("input_token", "")
    if not value:
        return fb_wire.facebook_error("(#100) The parameter input_token is required", code=100)
    token = (
        SandboxToken.objects.filter(provider="facebook", value=value).select_related("person").first()
    )
    if token is None or token.client_id != settings.FACEBOOK_APP_ID:
        data: dict[str, object] = {
            "error": {"code": 190, "message": "Invalid OAuth access token."},
            "is_valid": False,
            "scopes": [],
        }
        return JsonResponse({"data": data})
    data = _debug_data(token)
    try:
        services.token_resolve(provider="facebook", value=value)
    except services.GrantError as error:
        message, subcode = _DEBUG_ERRORS.get(error.reason, _DEBUG_ERRORS["revoked"])
        data["is_valid"] = False
        data["error"] = {"code": 190, "message": message, "subcode": subcode}
    return JsonResponse({"data": data})
