"""SNILS, the Russian personal insurance number: format and official check-sum.

Pure: no Django. The check-sum: the nine digits weighted 9..1, summed; a sum below 100
is the control number itself, 100 and 101 give 00, above 101 the sum modulo 101
(and 100 again gives 00). Numbers up to 001-001-998 carry no check-sum.
"""

from __future__ import annotations

import random


def normalize(raw: str) -> str:
    """Strip spaces and dashes: '112-233-445 95' -> '11223344595'."""
    return "".join(ch for ch in raw if ch not in " -\u00a0")


def checksum(digits9: str) -> int:
    total = sum(int(d) * w for d, w in zip(digits9, range(9, 0, -1), strict=True))
    if total < 100:
        return total
    if total in (100, 101):
        return 0
    rest = total % 101
    return 0 if rest == 100 else rest


def problem(raw: str) -> str | None:
    """Why ``raw`` is not a valid SNILS, or None when it is."""
    digits = normalize(raw)
    if len(digits) != 11 or not digits.isdigit():
        return "format"
    body, control = digits[:9], int(digits[9:])
    if int(body) <= 1001998:
        return None
    if len(set(body)) == 1 or any(body[i] == body[i + 1] == body[i + 2] for i in range(7)):
        return "repeated"
    return None if checksum(body) == control else "checksum"


def is_valid(raw: str) -> bool:
    return problem(raw) is None


def format_snils(raw: str) -> str:
    d = normalize(raw)
    return f"{d[0:3]}-{d[3:6]}-{d[6:9]} {d[9:11]}"


def generate(rng: random.Random) -> str:
    """A valid, clearly synthetic SNILS (for demo data and tests)."""
    while True:
        body = f"{rng.randrange(2_000_000, 999_999_999):09d}"
        if problem(body + "00") != "repeated":
            return body + f"{checksum(body):02d}"
