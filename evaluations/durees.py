"""Durations of an épreuve: the candidate's (tiers-temps) and as shown on documents and pages."""

import math


def duree_candidat(duree_minutes: int, *, tiers_temps: bool) -> int:
    """The épreuve's duration for one candidate: tiers-temps adds a third, rounded up to the minute."""
    return duree_minutes + math.ceil(duree_minutes / 3) if tiers_temps else duree_minutes


def duree_affichee(minutes: int) -> str:
    """``90`` → ``1 h 30``; ``45`` → ``45 min``."""
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"
