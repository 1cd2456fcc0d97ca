"""Filters for document templates: French dates from the ISO strings stored in a context."""

import datetime as dt

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def fr_date(value) -> str:
    """``2026-06-15`` / a date / a datetime → ``15/06/2026``; other text is returned unchanged."""
    if value in (None, ""):
        return ""
    if isinstance(value, dt.datetime):
        return (
            timezone.localtime(value).strftime("%d/%m/%Y")
            if timezone.is_aware(value)
            else value.strftime("%d/%m/%Y")
        )
    if isinstance(value, dt.date):
        return value.strftime("%d/%m/%Y")
    text = str(value)
    for parse in (dt.datetime.fromisoformat, dt.date.fromisoformat):
        try:
            return fr_date(parse(text))
        except ValueError:
            continue
    return text


@register.filter
def fr_datetime(value) -> str:
    """An ISO date-time (or datetime) → ``15/06/2026 à 14:05`` (Paris time)."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.strftime("%d/%m/%Y à %H:%M")
    return fr_date(value)


@register.filter
def fr_number(value) -> str:
    """A mark as display text, decimal comma: ``"512.5"`` / 512.5 / Decimal → ``512,5``.

    The JSON keeps its numbers as they are (``"512.5"``); only what a person reads changes.
    Anything that is not a number is returned unchanged.
    """
    from decimal import Decimal, InvalidOperation

    if value in (None, ""):
        return ""
    if isinstance(value, bool):
        return str(value)
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f").replace(".", ",")
