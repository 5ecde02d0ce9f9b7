"""Reading a provider's ``expires_in``: the one parser used at sign-in and at refresh.

``expires_in`` is "the lifetime in seconds of the access token" (RFC 6749 §5.1,
https://datatracker.ietf.org/doc/html/rfc6749#section-5.1). Google sends about 3600
(https://developers.google.com/identity/protocols/oauth2/web-server#exchange-authorization-code);
Facebook's long-lived user token about 60 days, e.g. ``5183944``
(https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived).

A value outside what any provider documents must neither crash a login (``float("abc")``,
``timedelta(seconds=1e309)`` raise) nor keep a token forever:

- absent (``None``, ``""`` or ``0``): unknown, stored as no expiry, as before;
- not a finite number, or negative: ``assumed`` seconds. By default ``ASSUMED_SECONDS``, the
  shortest documented lifetime, so a refreshable token is refreshed soon and the provider's
  next answer sets a proper expiry. A token nobody can refresh from the server (Facebook's
  long-lived one) must not be given up early: its reader passes the documented lifetime;
- longer than ``cap`` (``1e309`` parses as infinity): clamped to it (``MAX_SECONDS`` unless
  the reader knows the provider's own bound).
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timedelta

from django.utils import timezone

logger = logging.getLogger(__name__)

ASSUMED_SECONDS = 3600
# Longer than any token lifetime either provider documents (Facebook's ~60 days).
MAX_SECONDS = 90 * 24 * 3600


def expires_in_seconds(
    value: object, *, assumed: int = ASSUMED_SECONDS, cap: int = MAX_SECONDS
) -> int | None:
    """Seconds the token lives, within ``[0, cap]``; ``None`` when the provider sent none."""
    if value is None or value == "":
        return None
    number: float | None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    else:
        number = None
    if number is None or math.isnan(number) or number < 0:
        logger.warning("provider sent an unusable expires_in (%.40r); assuming %ss", value, assumed)
        return min(assumed, cap)
    if number == 0:
        return None
    if number > cap:
        logger.warning("provider sent an expires_in beyond %ss; clamped", cap)
        return cap
    return int(number)


def expires_at_from(value: object, *, now: datetime | None = None) -> datetime | None:
    """When the token expires, from ``expires_in`` as the provider sent it (see the module doc)."""
    seconds = expires_in_seconds(value)
    if seconds is None:
        return None
    return (now or timezone.now()) + timedelta(seconds=seconds)
