"""Emulated Google OpenID Connect provider.

Wire formats follow https://developers.google.com/identity/openid-connect/openid-connect and
https://developers.google.com/identity/protocols/oauth2/web-server; the issuer is this
sandbox's own URL, so any standards-compliant OIDC client can be pointed at it.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from providers.google.sandbox import services as g_services
from providers.google.sandbox import wire as g_wire
from sandbox import crypto, faults, services, switches, wire
from sandbox.models import SandboxToken, TokenKind
from sandbox.views.common import (
    avatar_url,
    chosen_person,
    client_credentials,
    error_page,
    redirect_back,
    redirect_uri_registered,
)

# Always granted when asked for; other scopes can be unticked (granular consent).
ALWAYS_GRANTED = ("openid", "email", "profile")
CLAIMS = ("aud", "email", "email_verified", "exp", "family_name", "given_name", "iat", "iss",
          "name", "nonce", "picture", "sub", "at_hash", "azp")  # fmt: skip


def issuer(request: HttpRequest) -> str:
    """``<site>/sandbox/google``, from the request so the dev and test servers both work."""
    return request.build_absolute_uri(reverse("sandbox:index")).rstrip("/") + "/google"


@csrf_exempt
@require_GET
def discovery(request: HttpRequest) -> HttpResponse:
    """``/.well-known/openid-configuration`` (OpenID Connect Discovery 1.0 §3)."""
    fault = faults.take("google", "discovery")
    canned = faults.answer("google", "discovery", fault)
    if canned is not None:
        return canned
    base = issuer(request)
    document: dict[str, object] = {
        "issuer": base,
        "authorization_endpoint": f"{base}/o/oauth2/v2/auth",
        "token_endpoint": f"{base}/token",
        "userinfo_endpoint": f"{base}/userinfo",
        "revocation_endpoint": f"{base}/revoke",
        "jwks_uri": f"{base}/certs",
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "claims_supported": list(CLAIMS),
        "code_challenge_methods_supported": ["plain", "S256"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
    }
    # Google lists `authorization_response_iss_parameter_supported` among its discovery fields
    # (https://developers.google.com/identity/openid-connect/reference#discovery-document) but
    # was seen not to advertise it while already sending `iss` (PROVIDERS.md, RFC 9207): so
    # by default it is absent here too, and `iss` comes on every callback.
    if fault == "discovery_advertises_iss":
        document["authorization_response_iss_parameter_supported"] = True
    elif fault == "discovery_wrong_issuer":
        document["issuer"] = base + "/"  # one character off is already another issuer (§4.3)
    return JsonResponse(document)


@csrf_exempt
@require_GET
def certs(request: HttpRequest) -> HttpResponse:
    """JWKS with every signing key (RS256, ``kid``)."""
    canned = faults.answer("google", "jwks", faults.take("google", "jwks"))
    if canned is not None:
        return canned
    return JsonResponse(services.jwks())


def _requested_scopes(raw: str) -> list[str]:
    scopes: list[str] = []
    for scope in raw.split():
        if scope not in scopes:
            scopes.append(scope)
    return scopes


def authorize(request: HttpRequest) -> HttpResponse:
    """``/o/oauth2/v2/auth``: consent page (GET); Continue or Cancel (POST, same URL)."""
    params = request.GET
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    # Google shows "Error 400/401" pages for these, never a redirect to an unchecked URI.
    if client_id != settings.GOOGLE_CLIENT_ID:
        return error_page(
            request,
            provider="google",
            title="Error 401: invalid_client",
            detail="The OAuth client was not found.",
        )
    if not redirect_uri_registered(redirect_uri, provider="google"):
        # Google's "Authorization Error" page, status 400; never a redirect.
        return error_page(
            request,
            provider="google",
            title="Error 400: redirect_uri_mismatch",
            detail="You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 "
            "policy. If you're the app developer, register the redirect URI in the Google Cloud Console.",
            redirect_uri=redirect_uri,
        )
    if params.get("response_type") != "code":
        return error_page(
            request,
            provider="google",
            title="Error 400: invalid_request",
            detail="Only response_type=code is supported by this client.",
        )
    method = params.get("code_challenge_method", "plain" if params.get("code_challenge") else "")
    if method not in ("", "plain", "S256"):
        return error_page(
            request,
            provider="google",
            title="Error 400: invalid_request",
            detail="Invalid code_challenge_method.",
        )
    state = params.get("state")
    extra = {"state": state} if state is not None else {}
    # RFC 9207 §2: the issuer on every authorization response, errors included; Google has
    # started sending it (PROVIDERS.md). https://www.rfc-editor.org/rfc/rfc9207.html#section-2
    extra["iss"] = issuer(request)
    if switches.is_on("google", "require_pkce") and (not params.get("code_challenge") or method != "S256"):
        # RFC 7636 §4.4.1: a server that requires PKCE answers an authorization error
        # (the redirect URI is registered, checked above) with invalid_request.
        return redirect_back(
            redirect_uri,
            {
                "error": "invalid_request",
                "error_description": "code_challenge required (code_challenge_method=S256)",
                **extra,
            },
        )
    requested = _requested_scopes(params.get("scope", ""))
    if not requested:
        return error_page(
            request,
            provider="google",
            title="Error 400: invalid_request",
            detail="Missing required parameter: scope",
        )

    if request.method == "POST":
        if "cancel" in request.POST:
            return redirect_back(redirect_uri, {"error": "access_denied", **extra})
        person = chosen_person(request)
        if person is not None:
            ticked = set(request.POST.getlist("scope"))
            granted = [s for s in requested if s in ALWAYS_GRANTED or s in ticked]
            if params.get("include_granted_scopes") == "true":
                # Incremental authorization: earlier grants to this client come along.
                earlier = services.grant_scopes(provider="google", person=person, client_id=client_id)
                granted += sorted(earlier - set(granted))
            code = services.code_issue(
                provider="google",
                person=person,
                client_id=client_id,
                redirect_uri=redirect_uri,
                scopes=granted,
                nonce=params.get("nonce", ""),
                code_challenge=params.get("code_challenge", ""),
                code_challenge_method=method,
                offline=params.get("access_type") == "offline",
                prompt_consent="consent" in params.get("prompt", "").split(),
            )
            return redirect_back(redirect_uri, {"code": code.value, **extra, "scope": " ".join(granted)})

    services.ensure_roster()
    context = {
        "people": services.roster(),
        "always": [s for s in requested if s in ALWAYS_GRANTED],
        "optional": [s for s in requested if s not in ALWAYS_GRANTED],
        "action": request.get_full_path(),
    }
    return render(request, "sandbox/google_consent.html", context)


@sensitive_variables("credentials")
def _client(request: HttpRequest) -> str | None:
    """The authenticated client id (``client_secret_basic`` or ``client_secret_post``), or None."""
    credentials = client_credentials(request, form_encoded=True)
    if (
        credentials is not None
        and credentials[0] == settings.GOOGLE_CLIENT_ID
        and crypto.constant_time_equal(credentials[1], settings.GOOGLE_CLIENT_SECRET)
    ):
        return credentials[0]
    return None


# How Google's token answer spells what was granted: email/profile as their URL scopes,
# openid whenever either is granted (asked for or not), in an order of Google's own.
# https://developers.google.com/identity/protocols/oauth2/scopes#oauth2 (Google OAuth2 API v2);
# field: requests-oauthlib#387.
GOOGLE_SPELLING = {
    "email": "https://www.googleapis.com/auth/userinfo.email",
    "profile": "https://www.googleapis.com/auth/userinfo.profile",
}


def granted_scope_answer(scopes: list[str]) -> str:
    """The token answer's ``scope``: space-separated, Google's spelling, not the asked order."""
    spelled = {GOOGLE_SPELLING.get(scope, scope) for scope in scopes}
    if spelled & set(GOOGLE_SPELLING.values()):
        spelled.add("openid")
    return " ".join(sorted(spelled))


def _token_body(tokens: g_services.GoogleTokens) -> dict[str, object]:
    body: dict[str, object] = {
        "access_token": tokens.access.value,
        "expires_in": tokens.access.seconds_left(),
        "token_type": "Bearer",
        "scope": granted_scope_answer(tokens.access.scope_list),
    }
    if tokens.refresh is not None:
        body["refresh_token"] = tokens.refresh.value
    return body


_CODE_ERRORS: dict[str, tuple[str, str]] = {
    "redirect_mismatch": ("redirect_uri_mismatch", "Bad Request"),
    "pkce_missing": ("invalid_grant", "Missing code verifier."),
    "pkce_mismatch": ("invalid_grant", "Invalid code verifier."),
}


@csrf_exempt
@require_POST
def token(request: HttpRequest) -> HttpResponse:
    """Token endpoint: ``authorization_code`` (PKCE) and ``refresh_token`` grants."""
    fault = faults.take("google", "token")
    canned = faults.answer("google", "token", fault)
    if canned is not None:
        return canned
    client_id = _client(request)
    if client_id is None:
        return wire.oauth_error("invalid_client", "Unauthorized", status=401)

    grant_type = request.POST.get("grant_type", "")
    if grant_type == "authorization_code":
        try:
            code = services.code_redeem(
                provider="google",
                value=request.POST.get("code", ""),
                client_id=client_id,
                redirect_uri=request.POST.get("redirect_uri", ""),
                code_verifier=request.POST.get("code_verifier"),
                pkce_required=switches.is_on("google", "require_pkce"),
            )
        except services.GrantError as error:
            return wire.no_store(
                wire.oauth_error(*_CODE_ERRORS.get(error.reason, ("invalid_grant", "Bad Request")))
            )
        tokens = g_services.google_tokens_for_code(code=code)
        body = _token_body(tokens)
        if "openid" in code.scope_list:
            body["id_token"] = g_services.id_token_encode(
                person=code.person,
                client_id=code.client_id,
                scopes=code.scope_list,
                nonce=code.nonce,
                access_token=tokens.access.value,
                issuer=issuer(request),
                picture=avatar_url(request, code.person),
                fault=fault,
            )
        return wire.no_store(faults.token_answer(body, fault))

    if grant_type == "refresh_token":
        try:
            refresh = services.token_resolve(
                provider="google", value=request.POST.get("refresh_token", ""), kind=TokenKind.REFRESH
            )
        except services.GrantError:
            refresh = None
        if refresh is None or refresh.client_id != client_id:
            return wire.no_store(wire.oauth_error("invalid_grant", "Token has been expired or revoked."))
        tokens = g_services.google_tokens_for_refresh(refresh=refresh)
        body = _token_body(tokens)
        if "openid" in refresh.scope_list:
            # OIDC Core §12.2 lets a refresh answer carry a new id_token (same iss, sub, aud,
            # no nonce); Google's does when `openid` was granted (PROVIDERS.md: unverified on
            # its pages), so clients must validate one when it comes.
            # https://openid.net/specs/openid-connect-core-1_0.html#RefreshTokenResponse
            body["id_token"] = g_services.id_token_encode(
                person=refresh.person,
                client_id=refresh.client_id,
                scopes=refresh.scope_list,
                access_token=tokens.access.value,
                issuer=issuer(request),
                picture=avatar_url(request, refresh.person),
                fault=fault,
            )
        return wire.no_store(faults.token_answer(body, fault))

    return wire.oauth_error("unsupported_grant_type", f"Invalid grant_type: {grant_type}")


def _bearer_token(request: HttpRequest) -> SandboxToken | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        value = request.GET.get("access_token", "")
    try:
        return services.token_resolve(provider="google", value=value.strip())
    except services.GrantError:
        return None


@csrf_exempt
@require_http_methods(["GET", "POST"])
def userinfo(request: HttpRequest) -> HttpResponse:
    """OIDC UserInfo: the claims the granted scopes allow."""
    fault = faults.take("google", "userinfo")
    canned = faults.answer("google", "userinfo", fault)
    if canned is not None:
        return canned
    access = _bearer_token(request)
    if access is None:
        return g_wire.google_invalid_token()
    claims = g_services.google_claims(
        person=access.person, scopes=access.scope_list, picture=avatar_url(request, access.person)
    )
    if fault == "userinfo_no_sub":
        del claims["sub"]
    elif fault == "userinfo_other_sub":
        claims["sub"] = g_services.other_google_sub(access.person)
    elif fault == "userinfo_email_verified_string" and "email_verified" in claims:
        claims["email_verified"] = "true" if claims["email_verified"] else "false"
    return JsonResponse(claims)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def revoke(request: HttpRequest) -> HttpResponse:
    """Revocation: revoking either token revokes the whole grant (person + client).

    https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke
    """
    canned = faults.answer("google", "revoke", faults.take("google", "revoke"))
    if canned is not None:
        return canned
    value = request.POST.get("token") or request.GET.get("token", "")
    try:
        found = services.token_resolve(provider="google", value=value, kind=None)
    except services.GrantError:
        return wire.oauth_error("invalid_token", "Token expired or revoked")
    services.grant_revoke(provider="google", person=found.person, client_id=found.client_id)
    return HttpResponse(b"{}", content_type="application/json; charset=utf-8")
