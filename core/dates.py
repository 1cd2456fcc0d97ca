"""Calendar arithmetic and dates written the French way (pure Python, no Django)."""

import calendar
import datetime as dt


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus calendar months, clamped to the month's last day (31/01 + 1 month = 28 or 29/02)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` plus calendar years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def date_fr(day: dt.date | None, empty: str = "—") -> str:
    """``dd/mm/yyyy``, or ``empty`` for no date."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}" if day else empty
