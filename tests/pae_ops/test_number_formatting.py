"""``pae_ops.formatting.number`` writes exactly what Django's number_format
writes, faster (docs/i18n.md): decimals cut, not rounded; a value too small
for the places shown is zero; the language's separators."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import formats, translation
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pae_ops.formatting import money, number, percent

values = st.one_of(
    st.integers(min_value=-(10**24), max_value=10**24),
    st.decimals(min_value=-(10**15), max_value=10**15, allow_nan=False, allow_infinity=False),
    st.builds(
        lambda digits, exponent, negative: Decimal((int(negative), tuple(digits), exponent)),
        st.lists(st.integers(0, 9), min_size=1, max_size=30),
        st.integers(-35, 35),
        st.booleans(),
    ),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
)


def _django(value, places):
    return formats.number_format(value, places, use_l10n=True, force_grouping=True)


@pytest.mark.parametrize("language", ["es", "en", "de"])
@settings(max_examples=400, deadline=None)
@given(value=values, places=st.one_of(st.none(), st.integers(0, 6)))
@example(value=Decimal("-0.001"), places=2)
@example(value=Decimal("-0.5"), places=0)
@example(value=Decimal("0.05"), places=0)
@example(value=Decimal("2.567"), places=2)
@example(value=Decimal("1E+3"), places=None)
@example(value=Decimal("-0"), places=None)
@example(value=Decimal("-1234567.891"), places=1)
@example(value=-1234567, places=None)
@example(value=0, places=2)
def test_number_writes_what_django_writes(language, value, places):
    """German ("de") writes 1.234,50: the separators come from the language."""
    with translation.override(language):
        assert number(value, places) == _django(value, places)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("es", ("1,234.50", "93.5 %")),
        ("en", ("1,234.50", "93.5 %")),
        ("de", ("1.234,50", "93,5 %")),
    ],
)
def test_money_and_percent_in_each_language(language, expected):
    with translation.override(language):
        assert (money(Decimal("1234.5")), percent(Decimal("93.54"))) == expected
