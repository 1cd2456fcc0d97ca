"""Filters for document templates: French dates and numbers from the values stored in a context."""

import datetime as dt

from django import template
from django.utils import timezone

from core.numbers import number_fr

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
    """A mark as display text, decimal comma (``core.numbers.number_fr``): ``"512.5"`` → ``512,5``."""
    return number_fr(value)
