"""The kernel's calendar arithmetic and French numbers (core.dates, core.numbers): pure Python,
run without PostgreSQL nor Redis (``make test-pure``)."""

import datetime as dt
from decimal import Decimal

import pytest

from core.dates import add_months, add_years, date_fr
from core.numbers import number_fr


@pytest.mark.parametrize(
    "day, months, expected",
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),  # clamped to the month's last day
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),  # leap year
        (dt.date(2026, 11, 15), 2, dt.date(2027, 1, 15)),  # over the year's end
        (dt.date(2026, 3, 31), -1, dt.date(2026, 2, 28)),  # backwards
        (dt.date(2026, 1, 10), -1, dt.date(2025, 12, 10)),
        (dt.date(2026, 5, 20), 0, dt.date(2026, 5, 20)),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_add_years_moves_29_february_to_28():
    assert add_years(dt.date(2024, 2, 29), 5) == dt.date(2029, 2, 28)
    assert add_years(dt.date(2024, 2, 29), 4) == dt.date(2028, 2, 29)
    assert add_years(dt.date(2026, 6, 30), 5) == dt.date(2031, 6, 30)


def test_date_fr():
    assert date_fr(dt.date(2026, 3, 5)) == "05/03/2026"
    assert date_fr(None) == "—"
    assert date_fr(None, "") == ""


@pytest.mark.parametrize(
    "value, text",
    [
        ("512.5", "512,5"),
        (512.5, "512,5"),
        (Decimal("87.50"), "87,5"),
        (Decimal("600.00"), "600"),
        (10, "10"),
        ("0.25", "0,25"),
        (None, ""),
        ("", ""),
        (True, "True"),
        ("ABS", "ABS"),
        (float("nan"), "nan"),
    ],
)
def test_number_fr(value, text):
    assert number_fr(value) == text
