"""Numbers, dates and notes /20 written the French way in the reasons of a proposition."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from referentiels.regles.model import _CENTIEME, _VINGT

# --------------------------------------------------------------------------------------------
# Formatting helpers (French)
# --------------------------------------------------------------------------------------------


def _fmt(nombre: Decimal | int) -> str:
    """12 → "12", 87.50 → "87,5", 3.2 → "3,2" (no trailing zeros, decimal comma)."""
    nombre = Decimal(nombre)
    if nombre == nombre.to_integral_value():
        return str(int(nombre))
    return format(nombre.normalize(), "f").replace(".", ",")


def _fmt2(nombre: Decimal) -> str:
    """A note /20 with exactly 2 decimals: "7,89", "10,00"."""
    return format(nombre.quantize(_CENTIEME, rounding=ROUND_HALF_UP), "f").replace(".", ",")


def _fmt_date(jour: date) -> str:
    return f"{jour.day:02d}/{jour.month:02d}/{jour.year:04d}"


def _note_sur_20(points: Decimal, maximum: int) -> Decimal | None:
    if maximum <= 0:
        return None
    return (points * _VINGT / maximum).quantize(_CENTIEME, rounding=ROUND_HALF_UP)


def _ajouter_annees(jour: date, annees: int) -> date:
    try:
        return jour.replace(year=jour.year + annees)
    except ValueError:  # 29 February → 28 February
        return jour.replace(year=jour.year + annees, day=28)
