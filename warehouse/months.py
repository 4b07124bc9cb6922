"""Calendar-month arithmetic shared by the models, the backtest and the report."""

import datetime as dt


def add_months(month: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (or before, when negative) `month`."""
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(day: dt.date) -> dt.date:
    """The last day of `day`'s month."""
    return add_months(day, 1) - dt.timedelta(days=1)


def shift_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (earlier when negative), clamped to that month's last day."""
    first = add_months(day, months)
    return min(first + dt.timedelta(days=day.day - 1), month_end(first))
