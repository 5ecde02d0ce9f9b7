"""socialsite settings, read from the environment in this one place.

Unset, everything runs on embedded defaults: SQLite, in-process cache, Celery tasks
run inline and the sandbox providers mounted under /sandbox/. With ``DEBUG`` off the
project refuses to start without its secrets (each error names the variable).
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from providers import registry as _provider_registry
from socialsite.env import env_bool, env_float, env_int, env_list, env_required, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)
HTTPS = False  # production (DEBUG off) turns this on below

# Development fallbacks are only ever used with DEBUG on.
_DEV_SECRET_KEY = "django-insecure-socialsite-development-only"
SECRET_KEY = env_required("SECRET_KEY", fallback=_DEV_SECRET_KEY if DEBUG else None)

PORT = env_int("PORT", 8000)
SITE_URL = env_str("SITE_URL", f"http://127.0.0.1:{PORT}").rstrip("/")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# --- Providers -------------------------------------------------------------------------
# The enabled providers, in the order pages show them (providers.registry.AVAILABLE lists
# every provider package; by default all are enabled).
_CHOSEN_PROVIDERS = env_list("SOCIALSITE_PROVIDERS")
SOCIALSITE_PROVIDERS = _CHOSEN_PROVIDERS or _provider_registry.available_names()
_unknown = sorted(set(SOCIALSITE_PROVIDERS) - set(_provider_registry.available_names()))
if _unknown:
    raise ImproperlyConfigured(
        f"SOCIALSITE_PROVIDERS names {', '.join(_unknown)}; known providers: "
        f"{', '.join(_provider_registry.available_names())}."
    )
_HAS_REAL_CREDENTIALS = any(
    env_str(name) for name in _provider_registry.credential_variables(SOCIALSITE_PROVIDERS)
)

# The sandbox emulates the providers. It is on for development when no real credentials
# are given, and never mounted with DEBUG off unless forced for an end-to-end run.
SANDBOX = env_bool("SANDBOX", DEBUG and not _HAS_REAL_CREDENTIALS)
if SANDBOX and not DEBUG and not env_bool("SANDBOX_FORCE", False):
    raise ImproperlyConfigured(
        "SANDBOX is on while DEBUG is off; the sandbox is never mounted in production. "
        "Set SANDBOX_FORCE=true only for an end-to-end run."
    )
if not SANDBOX and not _CHOSEN_PROVIDERS:
    # With real providers and no explicit choice, a provider none of whose credentials are set
    # is left out, so adding a provider package never stops a deployment from starting; one
    # with some set stays in and names what is missing.
    SOCIALSITE_PROVIDERS = [
        name
        for name in SOCIALSITE_PROVIDERS
        if any(env_str(variable) for variable in _provider_registry.credential_variables([name]))
    ] or SOCIALSITE_PROVIDERS

# Each enabled provider's settings (credentials, hosts, its own knobs) and their defaults
# live in its package (providers/<name>/settings.py), which reads its environment variables.
# With the sandbox on, hosts default to its emulation under SITE_URL/sandbox/.
globals().update(
    _provider_registry.configure(SOCIALSITE_PROVIDERS, sandbox=SANDBOX, sandbox_base=f"{SITE_URL}/sandbox")
)
if SANDBOX:
    # The sandbox package is imported only then: with real providers it need not be deployed.
    from sandbox.endpoints import loopback_twins, redirect_uris

    # The redirect URIs the sandbox's apps have registered, as in the providers' consoles:
    # each site's /complete/<provider>/, matched exactly.
    SANDBOX_REDIRECT_URIS = redirect_uris(*env_list("SANDBOX_REGISTERED_SITES", loopback_twins(SITE_URL)))

# Seconds for every outgoing provider call (connect and read).
PROVIDER_TIMEOUT = env_float("PROVIDER_TIMEOUT", 5.0)
# A friends or contacts listing with more pages than this ends its sync with an error: a
# provider paging in circles must not hold a worker. Real lists need far fewer (the largest
# documented list, 25,000 contacts at 1,000 a page, takes 25).
FRIENDS_SYNC_MAX_PAGES = env_int("FRIENDS_SYNC_MAX_PAGES", 200)
# Celery time limits of one friends sync task, in seconds: at the soft one the task records
# the failure and stops; the hard one kills it. A sync killed that way stops counting as
# running when its lease (friends.models.SYNC_LEASE, renewed after every page) runs out.
FRIENDS_SYNC_SOFT_TIME_LIMIT = 300
FRIENDS_SYNC_TIME_LIMIT = 360

# --- Token vault -------------------------------------------------------------------------
# Comma-separated Fernet keys, newest first. Development derives one key from the
# development SECRET_KEY so `make run` needs nothing; production must set its own.
_DEV_TOKEN_KEY = base64.urlsafe_b64encode(hashlib.sha256(f"vault:{SECRET_KEY}".encode()).digest()).decode()
# TOKEN_VAULT=shared (default): every process holds TOKEN_ENCRYPTION_KEYS and can open tokens.
# TOKEN_VAULT=sealed: every process seals with TOKEN_SEAL_PUBLIC_KEY; only the worker holds
# TOKEN_SEAL_PRIVATE_KEYS (newest first) and opens them (checks below, after the broker).
TOKEN_VAULT = env_str("TOKEN_VAULT", "shared").lower()
if TOKEN_VAULT not in ("shared", "sealed"):
    raise ImproperlyConfigured(f"TOKEN_VAULT must be shared or sealed, got {TOKEN_VAULT!r}.")
# Which process this is: web (default), worker (`make worker`), or beat. Set by whoever starts
# the process, never inferred from code: a web process importing Celery is still the web.
PROCESS_ROLE = env_str("PROCESS_ROLE", "web").lower()
if PROCESS_ROLE not in ("web", "worker", "beat"):
    raise ImproperlyConfigured(f"PROCESS_ROLE must be web, worker or beat, got {PROCESS_ROLE!r}.")
TOKEN_SEAL_PUBLIC_KEY = env_str("TOKEN_SEAL_PUBLIC_KEY")
TOKEN_SEAL_PRIVATE_KEYS = env_list("TOKEN_SEAL_PRIVATE_KEYS")
if TOKEN_VAULT == "sealed":
    # No development fallback: a key derived from SECRET_KEY would let the web open tokens.
    # On the worker, TOKEN_ENCRYPTION_KEYS is only there while migrating from shared mode.
    TOKEN_ENCRYPTION_KEYS = env_list("TOKEN_ENCRYPTION_KEYS")
else:
    TOKEN_ENCRYPTION_KEYS = env_list("TOKEN_ENCRYPTION_KEYS") or (
        [_DEV_TOKEN_KEY] if DEBUG else [env_required("TOKEN_ENCRYPTION_KEYS")]
    )

# --- Django ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "accounts.admin_site.AdminConfig",  # Django's admin, its sign-in locked after failures
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "social_django",
    "socialsite",  # project-wide management commands (prepare)
    "django_ratelimit",  # rate limits (socialsite.ratelimits); listed for its cache checks
    "accounts",
    "friends",
]
if SANDBOX:
    INSTALLED_APPS.append("sandbox")
# Apps the enabled provider packages bring (their own models, their emulators' state).
INSTALLED_APPS += _provider_registry.django_apps(SOCIALSITE_PROVIDERS, sandbox=SANDBOX)

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Every response to a signed-in person: Cache-Control no-store (Back after sign-out).
    "socialsite.middleware.PrivatePagesNeverCachedMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "accounts.middleware.LoginErrorMiddleware",
]

ROOT_URLCONF = "socialsite.urls"
WSGI_APPLICATION = "socialsite.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Shared templates, then each enabled provider package's own (providers/<name>/templates).
        "DIRS": [BASE_DIR / "templates", *_provider_registry.template_dirs(SOCIALSITE_PROVIDERS)],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.site",
            ],
        },
    },
]

DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(BASE_DIR / "db.sqlite3"),
            # IMMEDIATE: a transaction takes the write lock when it begins, so concurrent
            # callbacks queue instead of failing with "database is locked" mid-way.
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
            # A file, not memory: the live test server's threads need their own connections.
            "TEST": {"NAME": str(BASE_DIR / ".test-db.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Rate limits (socialsite.ratelimits) ----------------------------------------------------
# Per group, a rate per client address and per signed-in person (django-ratelimit syntax:
# "30/m" is 30 a minute, "5/15m" 5 per 15 minutes). An address is shared by everyone behind
# one NAT, so its limits are wider than a person's. RATE_LIMITS overrides single entries:
# RATE_LIMITS="login.address=100/m,friends_refresh.person=5/m".
RATE_LIMITS: dict[str, dict[str, str]] = {
    "login": {"address": "30/m", "person": "10/m"},  # POST /login/<backend>/
    "callback": {"address": "30/m", "person": "10/m"},  # /complete/<backend>/
    "friends_refresh": {"address": "30/m", "person": "6/m"},  # the friends page's Refresh
    "disconnect": {"address": "30/m", "person": "10/m"},  # /account/disconnect/<provider>/
    # Each enabled provider's own groups (its settings module's RATE_LIMITS), e.g. the
    # callbacks its servers make.
    **_provider_registry.rate_limits(SOCIALSITE_PROVIDERS),
}
for _entry in env_list("RATE_LIMITS"):
    _name, _, _rate = _entry.partition("=")
    _group, _, _scope = _name.strip().partition(".")
    if _group not in RATE_LIMITS or _scope not in ("address", "person") or not _rate.strip():
        raise ImproperlyConfigured(
            f"RATE_LIMITS entry {_entry!r} must look like <group>.<address|person>=<rate>, "
            f"with a group among {sorted(RATE_LIMITS)}."
        )
    RATE_LIMITS[_group][_scope] = _rate.strip()
# Proxies in front of the web processes that append the client's address to
# X-Forwarded-For (0: count the connection's own address, REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
# Admin password sign-in: this many failures per address or per username within the window
# lock that address or username out of /admin/login/ until the window ends.
ADMIN_LOGIN_FAILURE_LIMIT = env_int("ADMIN_LOGIN_FAILURE_LIMIT", 5)
ADMIN_LOGIN_LOCKOUT_SECONDS = env_int("ADMIN_LOGIN_LOCKOUT_SECONDS", 15 * 60)
RATELIMIT_CACHE_PREFIX = "rl:"
# A cache that fails a count lets the request through (logged): the limits guard sign-in, they
# must not take it down with the cache.
RATELIMIT_FAIL_OPEN = True
# The friends page's Refresh fetches from the provider at most once per this many seconds per
# person and provider (friends.services.sync_request): the provider quota is shared by all.
FRIENDS_REFRESH_COOLDOWN = env_int("FRIENDS_REFRESH_COOLDOWN", 60)
# Django's own Redis cache increments atomically; django-ratelimit only knows django-redis.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
if not REDIS_URL:
    # Development: the in-process cache counts per process, which is enough on one box.
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")


# Celery: the broker is CELERY_BROKER_URL when set (e.g. RabbitMQ), else REDIS_URL. Without
# one, tasks run inline (eager) inside the web request: fine for development, but in
# production a friends sync with back-off would then run against gunicorn's 30 s timeout.
# So with DEBUG off a missing broker stops startup, unless TASKS_INLINE=true opts in
# (a single-box install that accepts that trade-off).
_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL
TASKS_INLINE = env_bool("TASKS_INLINE", DEBUG and not _BROKER_URL)
if TOKEN_VAULT == "sealed":
    from socialsite.sealed_checks import check_sealed_settings

    check_sealed_settings(
        role=PROCESS_ROLE,
        public_key=TOKEN_SEAL_PUBLIC_KEY,
        private_keys=TOKEN_SEAL_PRIVATE_KEYS,
        fernet_keys=TOKEN_ENCRYPTION_KEYS,
        broker=_BROKER_URL,
        tasks_inline=TASKS_INLINE,
    )
if not TASKS_INLINE and not _BROKER_URL:
    raise ImproperlyConfigured(
        "REDIS_URL is not set; it is required when DEBUG is off: background tasks (friends sync, "
        "token refresh) need a broker (REDIS_URL, or CELERY_BROKER_URL). For a single-box install "
        "set TASKS_INLINE=true to run them inside the web request instead (see .env.example)."
    )
CELERY_BROKER_URL = _BROKER_URL or "memory://"
# Sealed mode: nobody steers the worker through the broker (celery control: shutdown, pool
# restarts, rate limits); a web process can queue work there, nothing more.
CELERY_WORKER_ENABLE_REMOTE_CONTROL = TOKEN_VAULT != "sealed"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = TASKS_INLINE
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Queues: interactive work (the sync after sign-in, the Refresh button, token refreshes) goes
# to the default queue; the schedule's syncs to their own. Workers consume both (``-Q``), in
# turn, so a person's sync never waits behind the schedule's backlog (one FIFO queue would
# put it after every scheduled sync already queued). For a hard guarantee, run a worker that
# consumes only the default queue. The name
# can be set per deployment (or per test run, so runs sharing a broker never take each
# other's messages).
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")
FRIENDS_SCHEDULED_QUEUE = f"{CELERY_TASK_DEFAULT_QUEUE}.scheduled"
# Redis redelivers an unacknowledged message after this long; a countdown (a message held
# by a worker until its time) must stay well inside it, or it would run twice.
# https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html#visibility-timeout
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
# The longest countdown any requeue may ask for: half the visibility timeout (Redis), and
# under RabbitMQ's default 30-minute consumer_timeout for an unacknowledged delivery.
# https://www.rabbitmq.com/docs/consumers#acknowledgement-timeout
TASK_MAX_COUNTDOWN = 15 * 60

# --- Provider request budgets (socialsite.quota) -----------------------------------------
# Calls per minute each provider *app* may make, shared by every worker (through Redis when
# REDIS_URL is set, else per process). Override one with PROVIDER_CALLS_PER_MINUTE="name=N,...".
# Each provider's default, and the documented limit it comes from, is its settings module's
# ``CALLS_PER_MINUTE`` (3,000 where a package names none).
PROVIDER_CALLS_PER_MINUTE: dict[str, int] = _provider_registry.per_provider(
    SOCIALSITE_PROVIDERS, "CALLS_PER_MINUTE", 3000
)
for _entry in env_list("PROVIDER_CALLS_PER_MINUTE"):
    _name, _, _count = _entry.partition("=")
    try:
        PROVIDER_CALLS_PER_MINUTE[_name.strip()] = int(_count)
    except ValueError as _error:
        raise ImproperlyConfigured(
            f"PROVIDER_CALLS_PER_MINUTE entry {_entry!r} must look like <provider>=<calls per minute>"
        ) from _error
# A provider that answers 429 without Retry-After is left alone this long by every worker.
PROVIDER_PAUSE_MIN_SECONDS = 60
# The Redis keys of the budgets and pauses start with this (a test run sets its own).
PROVIDER_BUDGET_PREFIX = env_str("PROVIDER_BUDGET_PREFIX", "budget:")

# --- Friends sync schedule (friends.schedule) ----------------------------------------------
# How often an account's friends are synced, by how recently its person signed in: the first
# tier whose "active within" covers their last sign-in applies (None: any). Grants that need
# reconnecting, have lapsed or cannot be read are not synced at all.
FRIENDS_SYNC_TIERS: list[tuple[float | None, float]] = [
    (1 * 86400, 6 * 3600),  # active within a day: every 6 hours
    (7 * 86400, 86400),  # within a week: daily
    (None, 7 * 86400),  # dormant: weekly
]
# The beat's tick: how often it runs, and at most how many due accounts one tick queues per
# provider (it queues fewer when the provider's budget for one tick interval is smaller).
FRIENDS_TICK_SECONDS = env_float("FRIENDS_TICK_SECONDS", 60.0)
FRIENDS_TICK_MAX_BATCH = env_int("FRIENDS_TICK_MAX_BATCH", 20000)
# Provider calls one scheduled sync makes on average (a token refresh plus a page or two):
# the tick sizes its batch as budget-per-tick / this.
FRIENDS_CALLS_PER_SYNC = 2.0

# --- Refresh tokens that would lapse unused (accounts.tokens.grants_at_risk) ---------------
# Access tokens are refreshed only when a job is about to use them. The beat refreshes a
# grant only when its refresh token would otherwise expire from disuse: Google drops a
# refresh token whose provider drops it after a spell of disuse. Days of disuse after which a
# provider's refresh token is at risk: its settings module's ``REFRESH_TOKEN_IDLE_DAYS`` (a
# margin under the provider's documented limit, cited there); a provider without one is absent.
_idle_days = _provider_registry.per_provider(SOCIALSITE_PROVIDERS, "REFRESH_TOKEN_IDLE_DAYS", None)
REFRESH_TOKEN_IDLE_DAYS: dict[str, int] = {name: n for name, n in _idle_days.items() if n is not None}

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

LOGIN_URL = "home"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"  # the provider's redirect back is a top-level GET: Lax cookies ride along
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if not DEBUG:
    # HTTPS=false serves production settings over plain HTTP: for load runs on loopback
    # only (make bench), never for a deployment people use.
    HTTPS = env_bool("HTTPS", True)
    SESSION_COOKIE_SECURE = HTTPS
    CSRF_COOKIE_SECURE = HTTPS
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", HTTPS)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]

# --- python-social-auth -------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    *_provider_registry.backends(SOCIALSITE_PROVIDERS),
    # Password sign-in at /admin/ for staff only (createsuperuser); nobody else has a password form.
    "accounts.backends.staff.StaffPasswordBackend",
]
SOCIAL_AUTH_URL_NAMESPACE = "social"
SOCIAL_AUTH_JSONFIELD_ENABLED = True
SOCIAL_AUTH_RAISE_EXCEPTIONS = False  # failures become pages (accounts.middleware), even with DEBUG on
SOCIAL_AUTH_LOGIN_REDIRECT_URL = "/"
SOCIAL_AUTH_NEW_ASSOCIATION_REDIRECT_URL = "/account/"
SOCIAL_AUTH_SANITIZE_REDIRECTS = True  # `next` stays on this site
SOCIAL_AUTH_REDIRECT_IS_HTTPS = not DEBUG and HTTPS
SOCIAL_AUTH_REQUESTS_TIMEOUT = PROVIDER_TIMEOUT
SOCIAL_AUTH_USER_FIELDS = ["username", "email", "first_name", "last_name"]
# SOCIAL_AUTH_<NAME>_KEY / _SECRET: from each provider's settings module (above).

# Unfinished sign-ins one browser session keeps per provider (accounts.login_state); older
# ones are dropped with their rows. Abandoned state older than LOGIN_STATE_MAX_AGE seconds
# is removed by the hourly clean_login_state task.
LOGIN_PENDING_PER_SESSION = env_int("LOGIN_PENDING_PER_SESSION", 5)
LOGIN_STATE_MAX_AGE = 3600

SOCIAL_AUTH_PIPELINE = (
    # Normalise the provider's profile into `details` (name, email, username).
    "social_core.pipeline.social_auth.social_details",
    "social_core.pipeline.social_auth.social_names",
    # The identity: (provider, provider user id). Never the email.
    "social_core.pipeline.social_auth.social_uid",
    "social_core.pipeline.social_auth.auth_allowed",
    # A returning identity finds its user; one linked to someone else is refused.
    "social_core.pipeline.social_auth.social_user",
    # An email counts only when the provider says it is verified.
    "accounts.pipeline.keep_verified_email_only",
    "social_core.pipeline.user.get_username",
    # New identity: create the user and its link together, race-safe (one user per identity).
    "accounts.pipeline.create_user_with_link",
    # Signed-in person linking a second provider: attach it to them.
    "social_core.pipeline.social_auth.associate_user",
    # Someone here without an email (e.g. Facebook's never count) gets this provider's verified one.
    "accounts.pipeline.adopt_verified_email",
    # Non-secret extras only: the backends strip tokens from extra_data.
    "social_core.pipeline.social_auth.load_extra_data",
    # Access/refresh tokens go to the vault, encrypted.
    "accounts.pipeline.store_tokens",
    "social_core.pipeline.user.user_details",
    # After the login commits, queue a sync of this link's friends or contacts.
    "accounts.pipeline.announce_link_stored",
)

# --- Logging ----------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "socialsite.logging.RedactSecretsFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # urllib3 logs full request lines (query strings included) at DEBUG.
        "urllib3": {"level": "WARNING"},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

# --- Periodic work (run by `make worker`, which embeds beat) ------------------------------
CELERY_BEAT_SCHEDULE = {
    # Only refresh tokens that would lapse from disuse (and lapsed grants, marked without a call).
    "refresh-grants-at-risk": {"task": "accounts.tasks.refresh_grants_at_risk", "schedule": 3600.0},
    # Each account's friends when its own "next sync at" comes: a bounded batch per tick.
    "sync-friends-due": {"task": "friends.tasks.sync_due", "schedule": FRIENDS_TICK_SECONDS},
    # Abandoned sign-ins (state, nonce rows) and expired sessions.
    "clean-login-state": {"task": "accounts.tasks.clean_login_state", "schedule": 3600.0},
    # Disconnects and unlinks whose task was lost (broker restarted, worker killed): again.
    "requeue-stale-pending": {"task": "accounts.tasks.requeue_stale_pending", "schedule": 300.0},
}
