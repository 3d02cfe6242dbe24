"""Synthetic data for demos, tests and benchmarks (never real people)."""

from __future__ import annotations

import random

_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)


def synthetic_bsn(rng: random.Random) -> str:
    """A random number passing the 11-proef (not necessarily unissued: demo use only)."""
    while True:
        digits = [rng.randint(1, 9)] + [rng.randint(0, 9) for _ in range(7)]
        total = sum(w * d for w, d in zip(_WEIGHTS, digits, strict=True))
        check = total % 11  # 9A+...+2H - I = 0 (mod 11)  =>  I = total mod 11
        if check <= 9:
            return "".join(map(str, digits)) + str(check)


def synthetic_postcode(rng: random.Random) -> str:
    """A syntactically valid Dutch postcode."""
    letters = "ABCEGHJKLMNPRTVWXZ"
    return f"{rng.randint(1000, 9999)} {rng.choice(letters)}{rng.choice(letters)}"
