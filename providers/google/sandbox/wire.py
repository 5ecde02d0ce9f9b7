"""Google's answer shapes: the Google API error model, OAuth errors, People API refusals."""

from __future__ import annotations

from django.http import JsonResponse

from sandbox.wire import oauth_error

# --- Google ---------------------------------------------------------------------------

# The sandbox's stand-in for the number of the Cloud project that owns the OAuth client.
SANDBOX_PROJECT_NUMBER = "100000000000"


def google_api_error(code: int, message: str, status_name: str) -> JsonResponse:
    """Google API error envelope: ``{"error": {"code", "message", "status"}}``."""
    return JsonResponse({"error": {"code": code, "message": message, "status": status_name}}, status=code)


def google_invalid_token() -> JsonResponse:
    """Userinfo with a bad bearer token (RFC 6750 §3.1)."""
    response = oauth_error("invalid_token", "Invalid Credentials", status=401)
    response["WWW-Authenticate"] = 'Bearer realm="sandbox", error="invalid_token"'
    return response


def google_server_error() -> JsonResponse:
    return google_api_error(500, "Internal error encountered.", "INTERNAL")


def google_rate_limited() -> JsonResponse:
    """429 RESOURCE_EXHAUSTED with ErrorInfo ``RATE_LIMIT_EXCEEDED`` (error_reason.proto).

    ``Retry-After`` is not documented for Google (PROVIDERS.md); the sandbox sends one so
    tests can check it is honoured, and clients cope without it.
    """
    response = google_error_with_reason(
        429,
        "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user' "
        f"of service 'people.googleapis.com' for consumer 'project_number:{SANDBOX_PROJECT_NUMBER}'.",
        "RESOURCE_EXHAUSTED",
        "RATE_LIMIT_EXCEEDED",
        metadata={
            "consumer": f"projects/{SANDBOX_PROJECT_NUMBER}",
            "quota_limit": "ReadRequestsPerMinutePerUser",
        },
    )
    response["Retry-After"] = "1"
    return response


# --- Google People API ------------------------------------------------------------------
# https://cloud.google.com/apis/design/errors (the error model every Google API answers with)


def google_unauthenticated() -> JsonResponse:
    """A Google API call with a missing, expired or revoked bearer token."""
    response = google_api_error(
        401,
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie "
        "or other valid authentication credential.",
        "UNAUTHENTICATED",
    )
    response["WWW-Authenticate"] = 'Bearer realm="https://accounts.google.com/", error="invalid_token"'
    return response


def google_error_with_reason(
    code: int,
    message: str,
    status_name: str,
    reason: str,
    *,
    domain: str = "googleapis.com",
    metadata: dict[str, str] | None = None,
) -> JsonResponse:
    """The error envelope with an ``ErrorInfo`` detail, which clients branch on by ``reason``.

    ``ErrorInfo`` carries ``reason``, ``domain`` and ``metadata`` (google.rpc.ErrorInfo in
    https://github.com/googleapis/googleapis/blob/master/google/rpc/error_details.proto;
    https://cloud.google.com/apis/design/errors#error_info).
    """
    info = {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": domain,
        "metadata": {
            "service": "people.googleapis.com",
            "method": "google.people.v1.PeopleService.ListConnections",
            **(metadata or {}),
        },
    }
    body = {"error": {"code": code, "message": message, "status": status_name, "details": [info]}}
    return JsonResponse(body, status=code)


def google_scope_insufficient() -> JsonResponse:
    """The token is good but the person unticked the scope this call needs."""
    return google_error_with_reason(
        403,
        "Request had insufficient authentication scopes.",
        "PERMISSION_DENIED",
        "ACCESS_TOKEN_SCOPE_INSUFFICIENT",
    )


def google_invalid_argument(message: str) -> JsonResponse:
    return google_api_error(400, message, "INVALID_ARGUMENT")


def google_expired_sync_token() -> JsonResponse:
    """People API: the sync token is older than seven days; the client must do a full sync.

    https://developers.google.com/people/api/rest/v1/people.connections/list#query-parameters
    """
    return google_error_with_reason(
        400,
        "Sync token is expired. Clear local cache and retry call without the sync token.",
        "FAILED_PRECONDITION",
        "EXPIRED_SYNC_TOKEN",
        domain="people.googleapis.com",
    )


def google_service_disabled(project: str = SANDBOX_PROJECT_NUMBER) -> JsonResponse:
    """403 PERMISSION_DENIED: the People API is not enabled in the caller's Cloud project.

    Google's error model with a ``google.rpc.ErrorInfo`` of reason ``SERVICE_DISABLED``,
    domain ``googleapis.com`` and metadata ``consumer``/``service``
    (https://cloud.google.com/apis/design/errors;
    https://github.com/googleapis/googleapis/blob/master/google/api/error_reason.proto),
    then the standard ``LocalizedMessage`` and ``Help`` details the guide lists. Live
    answers also carry ``activationUrl``, ``serviceTitle`` and ``containerInfo`` in the
    metadata, and the message below (field: NoeFabris/opencode-antigravity-auth#478, 2026;
    the Help link and the message without those keys: mxrch/GHunt#382, 2022).
    """
    url = f"https://console.developers.google.com/apis/api/people.googleapis.com/overview?project={project}"
    message = (
        f"People API has not been used in project {project} before or it is disabled. Enable it by "
        f"visiting {url} then retry. If you enabled this API recently, wait a few minutes for the "
        "action to propagate to our systems and retry."
    )
    body = {
        "error": {
            "code": 403,
            "message": message,
            "status": "PERMISSION_DENIED",
            "details": [
                {
                    "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                    "reason": "SERVICE_DISABLED",
                    "domain": "googleapis.com",
                    "metadata": {
                        "consumer": f"projects/{project}",
                        "service": "people.googleapis.com",
                        "activationUrl": url,
                        "serviceTitle": "People API",
                        "containerInfo": project,
                    },
                },
                {
                    "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                    "locale": "en-US",
                    "message": message,
                },
                {
                    "@type": "type.googleapis.com/google.rpc.Help",
                    "links": [{"description": "Google developers console API activation", "url": url}],
                },
            ],
        }
    }
    return JsonResponse(body, status=403)
