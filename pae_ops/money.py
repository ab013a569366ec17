"""Amounts of money as every service takes them: one validator for every entry point.

Money is USD, ``Decimal`` with two places, stored in ``DecimalField(max_digits=12,
decimal_places=2)`` columns (``pae_ops.models.money_field``). A service that
takes an amount from outside (a form, a task, another app, the admin) passes
it through :func:`parse_amount` before it locks or writes anything, so a bad
amount is a ``DomainError`` with a translated message — never a 500, an
``InvalidOperation`` or a database error.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.functional import Promise
from django.utils.translation import gettext as _

from pae_ops.errors import DomainError

CENT = Decimal("0.01")
# The largest amount a money column holds: 10 digits before the point, 2 after.
MAX_AMOUNT = Decimal("9999999999.99")


def parse_amount(
    value: Decimal | int | str | None, *, field: str | Promise | None = None
) -> Decimal:
    """A positive amount with at most two decimals that a money column can hold.

    Accepts a ``Decimal``, an ``int`` or a numeric string; returns it with
    exactly two places (``Decimal("12.5")`` gives ``12.50``). Refuses with a
    ``DomainError``: anything that is not a number (text, ``None``, floats,
    booleans), NaN, sNaN and ±Infinity, zero and negative amounts, more than
    two decimals (``10.005`` is refused, not rounded), and anything above
    9,999,999,999.99 (``1E+30`` included). Comparisons only run on finite
    values and ``quantize`` only on bounded ones, so nothing here raises
    ``InvalidOperation``.
    """
    field = field or _("The amount")
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise DomainError(_("Enter a valid amount."))
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter a valid amount.")) from None
    if not amount.is_finite():  # NaN, sNaN, Infinity, -Infinity
        raise DomainError(_("Enter a valid amount."))
    if amount <= 0:
        raise DomainError(_("%(field)s must be greater than zero.") % {"field": field})
    if amount > MAX_AMOUNT:
        raise DomainError(_("%(field)s is too large.") % {"field": field})
    rounded = amount.quantize(CENT)
    if rounded != amount:
        raise DomainError(_("%(field)s can have at most two decimals.") % {"field": field})
    return rounded
