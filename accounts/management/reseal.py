"""The batch loop shared by ``rotate_token_keys`` and ``seal_stored_tokens``.

Batched, idempotent and resumable: each batch is locked while rewritten (a refresh's
write-back waits for it to commit), ciphertexts the pass does not want are skipped, so an
interrupted run is simply run again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from accounts import vault
from accounts.exceptions import TokenUnreadable
from accounts.models import CIPHERTEXT_FIELDS, ProviderGrant
from socialsite.progress import Progress, Stream


@dataclass
class PassCounts:
    rewritten: int = 0  # rows with at least one ciphertext rewritten
    current: int = 0  # rows with nothing to do
    unreadable: int = 0  # ciphertexts no configured key opens (left as they are)


def reseal_pass(
    stream: Stream,
    *,
    wants: Callable[[str], bool],
    label: str,
    batch_size: int,
    max_batches: int | None,
) -> PassCounts:
    """Re-encrypt each ciphertext ``wants`` picks under the newest key (``vault.rotate_ciphertext``)."""
    counts = PassCounts()
    progress = Progress(stream, ProviderGrant.objects.count(), label)
    batches = last_pk = 0
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
                    if not ciphertext or not wants(ciphertext):
                        continue
                    try:
                        setattr(grant, field, vault.rotate_ciphertext(ciphertext))
                    except TokenUnreadable:
                        counts.unreadable += 1
                        continue
                    changed.append(field)
                if changed:
                    grant.save(update_fields=changed)
                    counts.rewritten += 1
                else:
                    counts.current += 1
            last_pk = batch[-1].pk
        batches += 1
        progress.step(len(batch))
    progress.close()
    return counts


def stored_ciphertexts(batch_size: int):  # type: ignore[no-untyped-def]
    """Every non-empty stored ciphertext, read in chunks (reads only)."""
    rows = ProviderGrant.objects.order_by("pk").values_list(*CIPHERTEXT_FIELDS)
    for ciphertexts in rows.iterator(chunk_size=batch_size):
        for ciphertext in ciphertexts:
            if ciphertext:
                yield ciphertext
