"""Seeds: every request carries one, drawn when the caller gives none."""

from __future__ import annotations

import secrets

from .errors import InputError

MAX_SEED = 2**32 - 1


def resolve_seed(seed: int | None) -> int:
    """`seed` checked, or a fresh random one when it is None."""
    if seed is None:
        return secrets.randbelow(MAX_SEED)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise InputError(f"seed must be an integer between 0 and {MAX_SEED}, got {seed!r}")
    return seed
