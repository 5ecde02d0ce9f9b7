"""Re-encrypt every stored token under the newest key: ``manage.py rotate_token_keys``.

Batched, idempotent and resumable: rows already under the newest key are skipped, so an
interrupted run is simply run again. When it reports 0 left, the old key can be removed
from TOKEN_ENCRYPTION_KEYS.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from accounts import vault
from accounts.exceptions import TokenUnreadable
from accounts.management.progress import Progress
from accounts.models import ProviderGrant

CIPHERTEXT_FIELDS = ("access_token_ciphertext", "refresh_token_ciphertext")


class Command(BaseCommand):
    help = "Re-encrypt every stored token under the first key in TOKEN_ENCRYPTION_KEYS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--max-batches",
            type=int,
            default=None,
            help="Stop after this many batches (run again to resume).",
        )

    def handle(self, *args: Any, batch_size: int, max_batches: int | None, **options: Any) -> None:
        total = ProviderGrant.objects.count()
        progress = Progress(self.stdout, total, "rotating")
        rotated = current = unreadable = batches = 0
        last_pk = 0
        while max_batches is None or batches < max_batches:
            with transaction.atomic():
                batch = list(
                    ProviderGrant.objects.select_for_update()
                    .filter(pk__gt=last_pk)
                    .order_by("pk")
                    .only("pk", *CIPHERTEXT_FIELDS)[:batch_size]
                )
                if not batch:
                    break
                for grant in batch:
                    changed = []
                    for field in CIPHERTEXT_FIELDS:
                        ciphertext = getattr(grant, field)
                        if not ciphertext or vault.is_current(ciphertext):
                            continue
                        try:
                            setattr(grant, field, vault.rotate_ciphertext(ciphertext))
                        except TokenUnreadable:
                            unreadable += 1
                            continue
                        changed.append(field)
                    if changed:
                        grant.save(update_fields=changed)
                        rotated += 1
                    else:
                        current += 1
                last_pk = batch[-1].pk
            batches += 1
            progress.step(len(batch))
        progress.close()
        remaining = ProviderGrant.objects.filter(pk__gt=last_pk).count()
        self.stdout.write(
            f"{rotated} rotated, {current} already current, {unreadable} unreadable (no key opens them), "
            f"{remaining} left to do"
        )
