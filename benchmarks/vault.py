"""The vault's two modes side by side: sealing at sign-in and opening at use, Fernet vs sealed box.

One run measures both, interleaved round by round (so a busy machine slows both alike):
``vault.seal_token`` and ``vault.open_token`` exactly as the sign-in callback and the
worker call them, the identity binding included. A sign-in seals two tokens (access and
refresh); a use (refresh, sync, revoke) opens one. Shared mode is Fernet (AES-128-CBC +
HMAC-SHA256 with a symmetric key); sealed mode is libsodium's sealed box (an X25519 key
agreement per message, then XSalsa20-Poly1305).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from benchmarks.harness import Environment, print_block, table

ROUNDS = 15
PER_ROUND = 400  # operations timed together; the median round is reported
TOKEN = "sbx-bench-" + "x" * 180  # about the size of a provider access token


def _per_op(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    for _ in range(PER_ROUND):
        run()
    return (time.perf_counter() - started) / PER_ROUND


def run(env: Environment) -> None:
    from cryptography.fernet import Fernet
    from django.test import override_settings

    from accounts import vault
    from accounts.vault_sealed import generate_keypair

    public, private = generate_keypair()
    modes = {
        "Fernet (shared)": {
            "TOKEN_VAULT": "shared",
            "TOKEN_ENCRYPTION_KEYS": [Fernet.generate_key().decode()],
        },
        "sealed box (sealed)": {
            "TOKEN_VAULT": "sealed",
            "PROCESS_ROLE": "worker",  # this process plays the worker to open; the web only seals
            "TOKEN_SEAL_PUBLIC_KEY": public,
            "TOKEN_SEAL_PRIVATE_KEYS": [private],
        },
    }
    samples: dict[str, dict[str, list[float]]] = {name: {"seal": [], "open": []} for name in modes}
    for _round in range(ROUNDS):
        for name, overrides in modes.items():
            with override_settings(**overrides):
                ciphertext = vault.seal_token(TOKEN, provider="bench", uid="1")

                def seal() -> str:
                    return vault.seal_token(TOKEN, provider="bench", uid="1")

                def open_(ciphertext: str = ciphertext) -> str:
                    return vault.open_token(ciphertext, provider="bench", uid="1")

                samples[name]["seal"].append(_per_op(seal))
                samples[name]["open"].append(_per_op(open_))

    def micro(seconds: float) -> str:
        return f"{seconds * 1e6:.1f} µs"

    fernet, sealed = (
        {op: statistics.median(values) for op, values in samples[name].items()} for name in modes
    )
    rows = [
        [
            "seal one token",
            micro(fernet["seal"]),
            micro(sealed["seal"]),
            f"{sealed['seal'] / fernet['seal']:.1f}x",
        ],
        [
            "open one token",
            micro(fernet["open"]),
            micro(sealed["open"]),
            f"{sealed['open'] / fernet['open']:.1f}x",
        ],
        [
            "sign-in (seal access + refresh)",
            micro(2 * fernet["seal"]),
            micro(2 * sealed["seal"]),
            f"{sealed['seal'] / fernet['seal']:.1f}x",
        ],
        [
            "use (open one, on the worker)",
            micro(fernet["open"]),
            micro(sealed["open"]),
            f"{sealed['open'] / fernet['open']:.1f}x",
        ],
    ]
    print_block(
        "Token vault: Fernet vs sealed box, measured side by side",
        [
            f"median of {ROUNDS} interleaved rounds of {PER_ROUND} operations each, "
            f"{len(TOKEN)}-character token, this process only",
            *table(["operation", "Fernet", "sealed box", "sealed / Fernet"], rows),
        ],
    )
