"""Reading a stored token the way the worker would, for assertions in a suite of either mode.

In a sealed-mode suite (TOKEN_VAULT=sealed) this test process is the web tier and cannot
open a token; a test that compares tokens opens them with the suite worker's private key,
exactly as the worker does, and only for the assertion.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.test import override_settings

from accounts.models import ProviderGrant


def access_token_as_worker(grant: ProviderGrant) -> str:
    if settings.TOKEN_VAULT != "sealed":
        return grant.get_access_token()
    private = os.environ["SUITE_SEAL_PRIVATE_KEY"]
    with override_settings(PROCESS_ROLE="worker", TOKEN_SEAL_PRIVATE_KEYS=[private]):
        return grant.get_access_token()
