"""Sync friends and contacts now: ``manage.py sync_friends [--user ID|EMAIL] [--provider NAME]``."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import Q
from django.template.defaultfilters import pluralize

from accounts import vault
from accounts.models import ProviderGrant, User
from friends import services
from socialsite.progress import Progress

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Fetch the friends, contacts or follows of everyone (or one person) now, in this process."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="Only this person: their id or email.")
        parser.add_argument(
            "--provider", choices=sorted(services.friends_providers()), help="Only this provider."
        )

    def handle(
        self, *args: Any, user: str | None = None, provider: str | None = None, **options: Any
    ) -> None:
        if not vault.can_open():
            raise CommandError(
                "Sealed mode: sync_friends runs on the worker (PROCESS_ROLE=worker, with "
                "TOKEN_SEAL_PRIVATE_KEYS): this process cannot open tokens.",
                returncode=2,
            )
        grants = ProviderGrant.objects.filter(
            social__isnull=False, provider__in=services.friends_providers()
        )
        if user:
            lookup = Q(email__iexact=user)
            if user.isdigit():
                lookup |= Q(pk=int(user))
            person = User.objects.filter(lookup).first()
            if person is None:
                raise CommandError(f"No person with id or email {user!r}.")
            grants = grants.filter(social__user=person)
        if provider:
            grants = grants.filter(provider=provider)
        grant_list = list(grants.select_related("social").order_by("pk"))

        progress = Progress(self.stdout, len(grant_list), "syncing")
        results: Counter[str] = Counter()
        fetched = deleted = 0
        errors = 0
        for grant in grant_list:
            try:
                outcome = services.friends_sync(grant=grant)
            except Exception:
                # One bad grant must not stop everyone else's sync.
                logger.exception("friends sync crashed: grant=%s", grant.pk)
                errors += 1
            else:
                results[outcome.result] += 1
                fetched += outcome.fetched
                deleted += outcome.deleted
            progress.step()
        progress.close()

        R = services.SyncResult
        self.stdout.write(
            f"{len(grant_list)} linked account{pluralize(len(grant_list))}: {results[R.OK]} synced, "
            f"{results[R.NEEDS_RECONNECT]} need reconnect, "
            f"{results[R.PERMISSION_DECLINED]} permission declined, "
            f"{results[R.FAILED]} failed, {results[R.UNAVAILABLE]} unavailable (see the log), "
            f"{results[R.ALREADY_RUNNING]} already syncing, {errors} errors; "
            f"{fetched} people fetched, {deleted} removed"
        )
