"""Numbers and notes /20 written the French way in the reasons of a proposition."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from referentiels.regles.model import _CENTIEME, _VINGT

# --------------------------------------------------------------------------------------------
# Formatting helpers (French)
# --------------------------------------------------------------------------------------------


def _fmt2(nombre: Decimal) -> str:
    """A note /20 with exactly 2 decimals: "7,89", "10,00"."""
    return format(nombre.quantize(_CENTIEME, rounding=ROUND_HALF_UP), "f").replace(".", ",")


def _note_sur_20(points: Decimal, maximum: int) -> Decimal | None:
    if maximum <= 0:
        return None
    return (points * _VINGT / maximum).quantize(_CENTIEME, rounding=ROUND_HALF_UP)
