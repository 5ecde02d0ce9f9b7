"""Re-encrypt every stored token under the newest key: ``manage.py rotate_token_keys``.

Shared mode: under the first key in TOKEN_ENCRYPTION_KEYS. Sealed mode: under
TOKEN_SEAL_PUBLIC_KEY, opening with TOKEN_SEAL_PRIVATE_KEYS, so it runs on the worker
(``PROCESS_ROLE=worker``), the only process that holds them. Fernet ciphertexts left from
shared mode are not this command's in sealed mode: ``seal_stored_tokens`` moves them.

Batched, idempotent and resumable: rows already under the newest key are skipped, so an
interrupted run is simply run again. The count of what is left is taken by re-reading the
whole table after the pass (a refresh running meanwhile may have written a row back), and
the command exits non-zero while anything is left or unreadable.

``--check`` changes nothing: it counts which configured key opens each ciphertext. An old
key can be removed once it opens none and none is unreadable.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts import vault
from accounts.management.reseal import reseal_pass, stored_ciphertexts

UNREADABLE = None
NOT_SEALED = "fernet"


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored token under the newest key: TOKEN_ENCRYPTION_KEYS' first (shared "
        "mode) or TOKEN_SEAL_PUBLIC_KEY (sealed mode, on the worker). --check: only count."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--max-batches",
            type=int,
            default=None,
            help="Stop after this many batches (run again to resume).",
        )
        parser.add_argument(
            "--check",
            action="store_true",
            help="Change nothing: count the ciphertexts each configured key opens.",
        )

    def handle(
        self, *args: Any, batch_size: int, max_batches: int | None, check: bool, **options: Any
    ) -> None:
        sealed = vault.mode() == vault.SEALED
        if not vault.can_open():
            raise CommandError(
                "Sealed mode: rotate_token_keys runs on the worker (PROCESS_ROLE=worker, with "
                "TOKEN_SEAL_PRIVATE_KEYS): this process cannot open tokens.",
                returncode=2,
            )
        if not check:
            counts = reseal_pass(
                self.stdout,
                wants=self._wants(sealed),
                label="rotating",
                batch_size=batch_size,
                max_batches=max_batches,
            )
            self.stdout.write(
                f"{counts.rewritten} rotated, {counts.current} already current, "
                f"{counts.unreadable} unreadable (no key opens them)"
            )
        positions = self._census(batch_size, sealed)
        old = sum(count for position, count in positions.items() if isinstance(position, int) and position)
        unreadable = positions[UNREADABLE]
        not_sealed = positions[NOT_SEALED]
        if check:
            self._report(positions, sealed)
        else:
            self.stdout.write(f"{old + unreadable + not_sealed} left to do (whole table re-checked)")
        keys = "TOKEN_SEAL_PRIVATE_KEYS on the worker" if sealed else "TOKEN_ENCRYPTION_KEYS"
        if old or unreadable:
            raise CommandError(
                f"{old} ciphertext(s) still under an old key, {unreadable} unreadable: "
                f"keep every old key in {keys}"
                + (" and run rotate_token_keys again." if old else ".")
                + (" Unreadable ones need the key that wrote them." if unreadable else ""),
                returncode=1,
            )
        if not_sealed:
            raise CommandError(
                f"{not_sealed} Fernet ciphertext(s) from shared mode are not sealed yet: run "
                "seal_stored_tokens on the worker (with TOKEN_ENCRYPTION_KEYS) to seal them.",
                returncode=1,
            )

    @staticmethod
    def _wants(sealed: bool):  # type: ignore[no-untyped-def]
        if sealed:
            return lambda ciphertext: vault.scheme_of(ciphertext) == vault.SEALED and not vault.is_current(
                ciphertext
            )
        return lambda ciphertext: not vault.is_current(ciphertext)

    def _census(self, batch_size: int, sealed: bool) -> Counter[int | str | None]:
        """How many ciphertexts each key position opens (``None``: none does). Reads only."""
        positions: Counter[int | str | None] = Counter({0: 0, UNREADABLE: 0, NOT_SEALED: 0})
        for ciphertext in stored_ciphertexts(batch_size):
            if sealed and vault.scheme_of(ciphertext) != vault.SEALED:
                positions[NOT_SEALED] += 1
            else:
                positions[vault.key_position(ciphertext)] += 1
        return positions

    def _report(self, positions: Counter[int | str | None], sealed: bool) -> None:
        keys = settings.TOKEN_SEAL_PRIVATE_KEYS if sealed else settings.TOKEN_ENCRYPTION_KEYS
        for index in range(len(keys)):
            name = f"key {index + 1}" + (" (newest)" if index == 0 else "")
            self.stdout.write(f"{name}: {positions[index]}")
        self.stdout.write(f"unreadable: {positions[UNREADABLE]}")
        if sealed:
            self.stdout.write(f"not sealed yet (Fernet, for seal_stored_tokens): {positions[NOT_SEALED]}")
