"""SQL expressions of the portal's search (PostgreSQL ``pg_trgm`` + ``unaccent``).

The same expressions build the GIN trigram indexes (in the models' ``Meta``)
and the searches' conditions, so that PostgreSQL matches one to the other:

- :class:`Unaccent` is ``public.f_unaccent(x)``, the IMMUTABLE wrapper of
  ``unaccent`` created by ``pae_ops/migrations/0007_search_extensions.py``;
- :class:`Digits` keeps a phone number's digits only;
- :func:`contains` is ``lhs ILIKE '%' || rhs || '%'`` with the wildcards of
  the searched text escaped; trigram indexes answer ``ILIKE`` (case-blind).
"""

from __future__ import annotations

from django.db.models import BooleanField, CharField, Func, TextField, Value
from django.db.models.expressions import Combinable


class Unaccent(Func):
    """``public.f_unaccent(expression)``: the text without accents (immutable)."""

    function = "public.f_unaccent"
    output_field = TextField()


class Digits(Func):
    """The digits of ``expression`` (``+52 (55) 1234-5678`` → ``525512345678``)."""

    template = "regexp_replace(%(expressions)s, '[^0-9]+', '', 'g')"
    output_field = TextField()


class _ILikeContains(Func):
    arg_joiner = " ILIKE "
    template = "(%(expressions)s)"
    output_field = BooleanField()


class _Pattern(Func):
    # Doubled twice: once for this template, once for the driver's parameters.
    template = "('%%%%' || %(expressions)s || '%%%%')"
    output_field = TextField()


def escape_like(text: str) -> str:
    """``text`` with LIKE's wildcards (and its escape character) taken literally."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains(lhs: Combinable | Func, text: str, *, unaccent: bool = False) -> _ILikeContains:
    """The condition "``lhs`` contains ``text``", case-blind; with ``unaccent``
    the typed text loses its accents (so should ``lhs``: an :class:`Unaccent`,
    or a column that holds none, such as an email address)."""
    value: Func | Value = Value(escape_like(text), output_field=CharField())
    if unaccent:
        value = Unaccent(value)
    return _ILikeContains(lhs, _Pattern(value))
