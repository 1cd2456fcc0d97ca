"""Natural order of codes: « 2 » before « 10 », « C.1.2.1 » before « C.1.10.1 », « Capacité 9 »
before « Capacité 10 » — never the text order (1, 10, 2 …) in which an évaluateur once marked
capacité 8 instead of 9."""

import re

_PARTS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple:
    """Sort key: digit runs compare as numbers, the rest case-insensitively."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
        for part in _PARTS.split(str(text or ""))
        if part != ""
    )


def natural_sorted(items, key=lambda item: item):
    return sorted(items, key=lambda item: natural_key(key(item)))
