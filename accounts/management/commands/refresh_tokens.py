"""Refresh grants that expire soon: ``manage.py refresh_tokens [--within SECONDS]``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from accounts import tokens
from socialsite.progress import Progress


class Command(BaseCommand):
    help = (
        "Refresh tokens that expire soon where the provider lets a server refresh them, and mark "
        "lapsed grants of providers whose tokens only a new sign-in renews 'needs reconnect'."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--within",
            type=int,
            default=None,
            help="Refresh every grant expiring within this many seconds (default: each provider's lead).",
        )
        parser.add_argument("--batch-size", type=int, default=100)

    def handle(self, *args: Any, within: int | None, batch_size: int, **options: Any) -> None:
        window = timedelta(seconds=within) if within is not None else None
        recovered = tokens.grants_recheck_key_missing()
        if recovered:
            self.stdout.write(f"{recovered} grant(s) readable again (their encryption key is back)")
        grant_ids = tokens.expiring_grant_ids(within=window)
        progress = Progress(self.stdout, len(grant_ids), "refreshing")
        counts = tokens.grants_refresh(
            grant_ids=grant_ids,
            force=window is not None,
            batch_size=batch_size,
            on_grant=lambda _r: progress.step(),
        )
        progress.close()
        R = tokens.RefreshResult
        self.stdout.write(
            f"{len(grant_ids)} due: {counts[R.REFRESHED]} refreshed, {counts[R.STILL_VALID]} still valid, "
            f"{counts[R.NEEDS_RECONNECT]} needs reconnect, {counts[R.FAILED]} failed, "
            f"{counts[R.KEY_MISSING]} skipped (encryption key missing), {counts[R.ERROR]} errors (logged)"
        )
