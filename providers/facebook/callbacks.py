"""Facebook's deauthorize and data-deletion callbacks (registered in the app's settings).

https://developers.facebook.com/docs/facebook-login/guides/advanced/deauth-callback
https://developers.facebook.com/docs/development/create-an-app/app-dashboard/data-deletion-callback
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from accounts.models import DataDeletionRequest
from providers.facebook import services, signed_request
from socialsite.ratelimits import rate_limited

logger = logging.getLogger(__name__)


def _verified(request: HttpRequest) -> dict | None:
    try:
        return signed_request.parse(request.POST.get("signed_request", ""), settings.FACEBOOK_APP_SECRET)
    except signed_request.InvalidSignedRequest as error:
        logger.warning("facebook callback refused: %s", error)
        return None


@csrf_exempt  # called by Facebook's servers, authenticated by the signature instead
@require_POST
@rate_limited("facebook_callback")
def deauthorize(request: HttpRequest) -> HttpResponse:
    payload = _verified(request)
    if payload is None:
        return JsonResponse({"error": "invalid signed_request"}, status=400)
    issued_at = datetime.fromtimestamp(payload["issued_at"], tz=UTC)
    services.facebook_deauthorize(uid=payload["user_id"], issued_at=issued_at)
    return JsonResponse({"success": True})


@csrf_exempt
@require_POST
@rate_limited("facebook_callback")
def data_deletion(request: HttpRequest) -> HttpResponse:
    payload = _verified(request)
    if payload is None:
        return JsonResponse({"error": "invalid signed_request"}, status=400)
    # Keyed on the payload part, which the signature covers byte for byte. The signature
    # part is not canonical (base64 decoding ignores stray characters and spare low bits),
    # so hashing the whole string would let a doctored copy pass as a new request.
    payload_part = request.POST["signed_request"].split(".", 1)[1]
    request_hash = hashlib.sha256(payload_part.encode()).hexdigest()
    record = services.facebook_data_delete(uid=payload["user_id"], request_hash=request_hash)
    status_url = request.build_absolute_uri(reverse("data_deletion_status", args=[record.confirmation_code]))
    return JsonResponse({"url": status_url, "confirmation_code": record.confirmation_code})


@require_GET
def data_deletion_status(request: HttpRequest, code: str) -> HttpResponse:
    record = get_object_or_404(DataDeletionRequest, confirmation_code=code)
    return render(request, "accounts/data_deletion_status.html", {"record": record})
