"""Move from shared mode to sealed mode: ``manage.py seal_stored_tokens``, on the worker.

Every Fernet ciphertext written in shared mode is opened with TOKEN_ENCRYPTION_KEYS and
sealed under TOKEN_SEAL_PUBLIC_KEY, its identity binding kept. So it runs with both
configurations: ``TOKEN_VAULT=sealed``, ``PROCESS_ROLE=worker``, the seal keys and the old
TOKEN_ENCRYPTION_KEYS. Meanwhile the worker opens both kinds, so service goes on.

Batched, idempotent and resumable: sealed ciphertexts are skipped, so an interrupted run
is simply run again. It exits non-zero while any Fernet ciphertext is left (counted by
re-reading the whole table, which needs no key: the two formats look different).
The procedure is in docs/sealed-mode.md ("Moving from shared to sealed mode").
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import vault
from accounts.management.reseal import reseal_pass, stored_ciphertexts


class Command(BaseCommand):
    help = "Seal every Fernet-encrypted token under TOKEN_SEAL_PUBLIC_KEY (sealed mode, on the worker)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--max-batches",
            type=int,
            default=None,
            help="Stop after this many batches (run again to resume).",
        )

    def handle(self, *args: Any, batch_size: int, max_batches: int | None, **options: Any) -> None:
        if vault.mode() != vault.SEALED:
            raise CommandError("seal_stored_tokens needs TOKEN_VAULT=sealed.", returncode=2)
        if not vault.can_open():
            raise CommandError(
                "seal_stored_tokens runs on the worker (PROCESS_ROLE=worker, with TOKEN_SEAL_PRIVATE_KEYS): "
                "this process cannot open tokens.",
                returncode=2,
            )
        if not settings.TOKEN_ENCRYPTION_KEYS:
            raise CommandError(
                "TOKEN_ENCRYPTION_KEYS is not set: the worker needs the shared-mode keys to open "
                "the tokens it seals.",
                returncode=2,
            )
        counts = reseal_pass(
            self.stdout,
            wants=lambda ciphertext: vault.scheme_of(ciphertext) == vault.FERNET,
            label="sealing",
            batch_size=batch_size,
            max_batches=max_batches,
        )
        self.stdout.write(
            f"{counts.rewritten} sealed, {counts.current} already sealed, "
            f"{counts.unreadable} unreadable (no TOKEN_ENCRYPTION_KEYS key opens them)"
        )
        left = sum(1 for c in stored_ciphertexts(batch_size) if vault.scheme_of(c) == vault.FERNET)
        self.stdout.write(f"{left} left to do (whole table re-checked)")
        if left:
            raise CommandError(
                f"{left} Fernet ciphertext(s) left: run seal_stored_tokens again"
                + (f" ({counts.unreadable} need the key that wrote them)." if counts.unreadable else "."),
                returncode=1,
            )
