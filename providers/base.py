"""The provider interface: everything shared code may ask of a provider.

A provider is a package (``providers/<name>/``) whose ``provider.py`` defines one subclass of
``Provider`` and registers it in ``providers.registry.AVAILABLE``. Shared code (pipeline,
vault, token service, friends sync, pages, admin, sandbox core) asks the provider through
this class (``provider.revoke(grant)``, ``provider.friends``), never ``if name == ...``.
A provider that lacks a feature says so here: ``refresh_ahead = None`` (only a new sign-in
renews its tokens), ``friends = None`` (no friends or contacts API).

As in allauth (a provider class with its ``default_urlpatterns``) and social-core (everything
a provider needs sits on its class). Nothing here imports a provider package, and a provider
module imports its clients lazily, so the registry can be read before Django is set up.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import import_module
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import requests
    from django.http import HttpRequest, HttpResponse
    from django.urls import URLPattern, URLResolver

    from accounts.models import ProviderGrant
    from providers.http.errors import ProviderError


# --- display facts ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ButtonStyle:
    """The sign-in button in the provider's own brand style (its guidelines, cited in the package)."""

    background: str
    text: str
    border: str
    hover_background: str
    # Extra CSS declarations the brand asks for (a font), e.g. "font-family: Roboto, Arial, sans-serif".
    extra_css: str = ""


@dataclass(frozen=True)
class Display:
    """What pages show for a provider: its name, logo, button and the words for its scopes."""

    label: str  # "Facebook"
    logo_svg: str  # inline <svg …> markup, aria-hidden, drawn inside the button
    button: ButtonStyle
    # Badge colours on the admin and sandbox pages (background, text, border).
    badge: tuple[str, str, str]
    # What each scope lets socialsite do, in the words a person would use, keyed by the short
    # spelling (``Provider.canonical_scope``). Pages list scopes in this order.
    scope_labels: dict[str, str] = field(default_factory=dict)

    @property
    def button_label(self) -> str:
        return f"Continue with {self.label}"


# --- friends ---------------------------------------------------------------------------------


class Match(enum.StrEnum):
    """How a person in someone's list is found on socialsite."""

    # Their external id is the uid of a sign-in link with the same provider here.
    UID = "uid"
    # Their email is the verified email of someone here who said yes to being findable by it.
    EMAIL = "email"


@dataclass(frozen=True)
class Person:
    """One person in someone's list on a provider, as the friends store keeps them."""

    external_id: str
    name: str = ""
    email: str = ""  # lowercased by the client; "" when the provider gives none
    picture_url: str = ""
    # Only in an incremental pass: the provider says this person left the list.
    removed: bool = False


@dataclass(frozen=True)
class PeoplePage:
    """One page of a listing, as the shared sync stores it.

    ``full``: the pass this page belongs to lists everyone, so whoever it did not stamp is
    deleted at its end. An incremental pass (a sync token) or an unchanged answer (an HTTP
    304) is not full. ``marker``: what to send next time for an incremental or conditional
    request (a sync token, an ETag); "" keeps none. ``total``: every person the provider
    counts, on socialsite or not, when it says (shown only when ``Friends.shows_total``).
    """

    people: list[Person]
    full: bool = True
    total: int | None = None
    marker: str = ""


class StaleMarker(Exception):
    """The stored marker (sync token) is no longer accepted: run a full pass instead."""


class Friends(ABC):
    """A provider's list of people its users know: friends, contacts, people they follow."""

    # The plural a person reads: "friends", "contacts", "people you follow".
    noun: ClassVar[str]
    # The scope the listing needs (in the short spelling); "" when sign-in alone allows it.
    scope: ClassVar[str]
    # What the permission is called on the provider's consent screen, for "you did not allow".
    permission_name: ClassVar[str] = ""
    match: ClassVar[Match]
    # Whether the page shows the provider's own total (``PeoplePage.total``).
    shows_total: ClassVar[bool] = False
    # What the page says when the stored list is empty.
    empty_text: ClassVar[str] = "Nobody here yet."
    # Shown for a person the provider gave no name.
    unnamed: ClassVar[str] = "Unnamed"
    # On the account page, who finds the person by their provider id whatever their email
    # setting says, when "<label> <noun> who also use socialsite" does not say it right.
    found_by: ClassVar[str] = ""

    @abstractmethod
    def client(self) -> Any:
        """The default API client (tests and benchmarks pass their own to ``pages``)."""

    @abstractmethod
    def pages(
        self, client: Any, access_token: str, *, marker: str = "", page_size: int | None = None
    ) -> Iterator[PeoplePage]:
        """The pages of the person's list; incremental or conditional from ``marker`` when given.

        Raises the typed ``ProviderError`` family (``providers.http.errors``); paging in
        circles raises ``PagingError``. A stale marker is the provider's business: fall back
        to a full pass (or raise ``StaleMarker`` before the first page to let the sync do it).
        """


# --- settings --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SettingsContext:
    """What a provider's settings module is told by settings.py (``configure(ctx)``).

    ``sandbox``: the emulators are on, so credentials fall back to the sandbox's and URLs
    default to ``sandbox_base`` (``SITE_URL``/sandbox). Each package's settings module reads
    its own environment variables through these helpers and returns the settings it defines.
    """

    sandbox: bool
    sandbox_base: str

    def credential(self, name: str, sandbox_value: str) -> str:
        """A required secret or id: the sandbox's value only while the sandbox is on."""
        from socialsite.env import env_required

        return env_required(name, fallback=sandbox_value if self.sandbox else None)

    def url(self, name: str, real: str, sandbox_paths: dict[str, str]) -> str:
        """A provider host: ``real``, or with the sandbox on its emulator at ``sandbox_paths[name]``
        under ``sandbox_base``; the environment variable ``name`` overrides either."""
        from socialsite.env import env_str

        default = f"{self.sandbox_base.rstrip('/')}/{sandbox_paths[name]}" if self.sandbox else real
        return env_str(name, default).rstrip("/")


# --- the sandbox emulator ----------------------------------------------------------------------


class Emulator(ABC):
    """A provider's emulator as the sandbox core sees it: its faults, switches and error bodies.

    Lives in ``providers/<name>/sandbox/`` and is loaded only with the sandbox on. The core
    (``sandbox.faults``) arms and consumes faults for every provider alike; the emulator
    says which endpoints can break, which modes each understands beyond the generic ones
    (http_500, slow, malformed_json, rate_limited, error_body), and what its errors look like
    on the wire.
    """

    # endpoint -> the modes it understands beyond the generic ones (the endpoint applies them
    # itself unless ``canned`` answers them).
    fault_modes: ClassVar[dict[str, tuple[str, ...]]]
    # Endpoints that answer tokens: they also understand the core's ``expires_in_*`` modes.
    token_endpoints: ClassVar[tuple[str, ...]] = ()
    # Lasting rules the emulator can be told to enforce: (name, label for the /sandbox/ page).
    switches: ClassVar[tuple[tuple[str, str], ...]] = ()
    # The setting holding the client id socialsite is registered under at this provider.
    client_id_setting: ClassVar[str]
    # The header of its consent and error pages ("Sign in with …").
    dialog_heading: ClassVar[str]
    # Prefix of every code and token it issues, by kind ("code", "access", "refresh"):
    # recognisable, so a test can grep a database dump or a log for "sbx-".
    token_prefixes: ClassVar[dict[str, str]]
    # The roster column with each person's id at this provider ("Facebook id").
    identity_label: ClassVar[str]
    # Buttons the index page offers per person beside "Revoke socialsite's access":
    # (label, URL name taking the person's id, CSS class).
    person_actions: ClassVar[tuple[tuple[str, str, str], ...]] = ()
    # A sentence for the index page's access section about those actions.
    access_note: ClassVar[str] = ""

    @abstractmethod
    def identity(self, person: Any) -> str:
        """``person``'s id at this provider (a ``SandboxPerson``)."""

    def index_rows(self, request: HttpRequest) -> list[tuple[str, str]]:
        """The index page's "where it lives" rows: (what, HTML-safe description)."""
        return []

    @abstractmethod
    def server_error(self) -> HttpResponse:
        """The provider's 500 answer."""

    @abstractmethod
    def rate_limited(self) -> HttpResponse:
        """The provider's "slow down" answer."""

    @abstractmethod
    def error_body(self, endpoint: str) -> HttpResponse:
        """A well-formed refusal of ``endpoint``: what it says when the code or token is no good."""

    def roster_graph_fill(self) -> None:
        """Give a fresh roster this provider's own small graph (e.g. who follows whom), idempotently.

        Called by ``sandbox.services.roster_fill`` after the shared graph is in place."""
        return None

    def add_seed_arguments(self, parser: Any) -> None:
        """Options of ``manage.py seed_sandbox`` that grow this provider's own graph."""
        return None

    def seed(self, options: dict[str, Any], step: Callable[[str, Callable[[], int]], None]) -> None:
        """Act on those options after the shared seeding; ``step(what, run)`` times and reports one part."""
        return None

    def canned(self, endpoint: str, mode: str) -> HttpResponse | None:
        """The answer for one of ``fault_modes``; None when the endpoint applies the mode itself."""
        return None


# --- the provider ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenAnswer:
    """A token endpoint's answer after a refresh: what the token service stores."""

    access_token: str
    refresh_token: str = ""  # "" when the provider kept the old one
    expires_in: object = None  # as sent; ``accounts.expiry`` validates it


class Provider(ABC):
    """One identity provider: its facts and the hooks shared code calls.

    Subclasses set the class attributes and implement the methods that apply; every
    optional feature has an explicit "not supported" default.
    """

    # The social-auth backend name: ``/login/<name>/``, ``ProviderGrant.provider``, URL segments.
    name: ClassVar[str]
    display: ClassVar[Display]
    # Dotted path of the social-auth backend class (``AUTHENTICATION_BACKENDS``).
    backend: ClassVar[str]
    # Dotted path of the module with ``configure(ctx: SettingsContext) -> dict`` that returns
    # this provider's settings, and ``ENV``: every environment variable it reads.
    settings_module: ClassVar[str]
    # How long before expiry the token service refreshes. None: no server-side refresh, only a
    # new sign-in renews the tokens (pages then show when access ends).
    refresh_ahead: ClassVar[timedelta | None] = None
    friends: ClassVar[Friends | None] = None

    @property
    def label(self) -> str:
        return self.display.label

    @property
    def can_refresh(self) -> bool:
        return self.refresh_ahead is not None

    @property
    def renews_by_sign_in_only(self) -> bool:
        return self.refresh_ahead is None

    def keep_connected_lead(self) -> timedelta:
        """How long before a sign-in-only grant ends the pages offer "Keep <label> connected"."""
        return timedelta(0)

    def canonical_scope(self, scope: str) -> str:
        """The one spelling socialsite stores for ``scope`` (providers with aliases override)."""
        return scope

    # --- token life cycle (the token client) ---

    def refresh(self, grant: ProviderGrant) -> TokenAnswer:
        """Renew the grant's access token at the provider (called holding the grant's lease).

        Raises ``ProviderAuthError`` when the grant is gone, another ``ProviderError`` when
        the provider fails. Only called when ``can_refresh``.
        """
        raise NotImplementedError(f"{self.name} has no server-side refresh")

    def revoke(self, grant: ProviderGrant) -> bool:
        """Revoke the grant at the provider. False when there is nothing to revoke with.

        Raises ``ProviderError`` (logged by the caller, never shown) or ``NoUsableToken``.
        """
        return False

    def classify_error(self, response: requests.Response, body: Any) -> ProviderError | None:
        """Map an error answer from this provider's APIs to the typed error family (None: default)."""
        return None

    # --- URLs ---

    def urlpatterns(self) -> list[URLPattern | URLResolver]:
        """Routes the site serves for this provider besides sign-in (e.g. deauthorize callbacks)."""
        return []

    def sandbox_urlpatterns(self) -> list[URLPattern | URLResolver]:
        """The emulator's routes, mounted under ``/sandbox/`` when the sandbox is on."""
        return []

    # Dotted path of this provider's ``Emulator`` subclass ("" when it has no emulator).
    emulator_class: ClassVar[str] = ""
    # Django apps the package brings (models and migrations of its own, e.g. "providers.x"),
    # always, and only with the sandbox on (its emulator's state, e.g. "providers.x.sandbox").
    apps: ClassVar[tuple[str, ...]] = ()
    sandbox_apps: ClassVar[tuple[str, ...]] = ()

    def emulator(self) -> Emulator | None:
        """The sandbox emulator (imported only when asked: production never asks)."""
        if not self.emulator_class:
            return None
        module_name, _, class_name = self.emulator_class.rpartition(".")
        emulator: Emulator = getattr(import_module(module_name), class_name)()
        return emulator

    def sandbox_settings(self, base: str) -> dict[str, str]:
        """The URL settings that point this provider at its emulator under ``base`` (…/sandbox)."""
        paths: dict[str, str] = getattr(import_module(self.settings_module), "SANDBOX_URLS", {})
        return {name: f"{base.rstrip('/')}/{path}" for name, path in paths.items()}

    def __repr__(self) -> str:
        return f"<Provider {self.name}>"
