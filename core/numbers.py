"""Numbers written the French way (pure Python, no Django)."""

from decimal import Decimal, InvalidOperation


def number_fr(value) -> str:
    """A mark as display text, decimal comma: ``"512.5"`` / 512.5 / Decimal → ``512,5``.

    The JSON keeps its numbers as they are (``"512.5"``); only what a person reads changes.
    Anything that is not a number is returned unchanged.
    """
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
