"""The test suite's settings: the project's own, on the sandbox providers whatever the shell exports.

The suite signs in against the sandbox. A developer whose shell exports the real
``FACEBOOK_APP_ID`` & co. (to `make run` against Facebook and Google) would otherwise get a
suite with the sandbox off and not installed, which cannot even import its fixtures. So the
variables that choose the providers and the mode are dropped here, before the project's
settings read the environment, and processes the tests start (the Celery worker) inherit
the same choice. Tests of other modes start ``manage.py``/``make`` with an environment of
their own (tests/test_settings.py, tests/test_make_targets.py).
"""

from __future__ import annotations

import os

from providers import registry

# Every provider package's own variables (providers/<name>/settings.py ``ENV``) go too.
PROVIDER_AND_MODE_VARIABLES = (
    "DEBUG",
    "SANDBOX",
    "SANDBOX_FORCE",
    "SANDBOX_REGISTERED_SITES",
    "SITE_URL",
    "SOCIALSITE_PROVIDERS",
    *registry.environment_variables(registry.available_names()),
)
for _name in PROVIDER_AND_MODE_VARIABLES:
    os.environ.pop(_name, None)

from socialsite.settings import *  # noqa: E402, F403
