"""The DCF pure functions, checked against sums worked out by hand."""

import pytest

from assets.valuation.dcf import annual_retention, book_value


def test_book_value_hand_computed():
    # ARR 1000, retention 0.9, growth 0, discount 0.1, 2 years:
    # 1000 × 0.9 / 1.1 + 1000 × 0.81 / 1.21 = 818.1818 + 669.4215 = 1487.6033
    assert book_value(1000, 0.9, 0.0, 0.1, 2) == pytest.approx(1487.6033, abs=1e-4)


def test_book_value_with_growth():
    # factor = 0.8 × 1.25 / 1.0 = 1 → 3 years of 500 = 1500
    assert book_value(500, 0.8, 0.25, 0.0, 3) == pytest.approx(1500)


def test_annual_retention_chains_and_annualises_months():
    # six months of 0.99 → 0.99^6, annualised ^(12/6) → 0.99^12 = 0.886384
    assert annual_retention([0.99] * 6) == pytest.approx(0.99**12)
    assert annual_retention([None, float("nan")]) is None


def test_invalid_inputs_are_refused():
    with pytest.raises(ValueError):
        book_value(100, 0.9, 0, -1, 5)
