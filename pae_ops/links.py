"""``id_url``: ``reverse()`` for the links a page writes once per row.

Django's ``reverse`` matches the URL patterns on every call (~25 µs); a list
page writes a row's links dozens of times (the agent's home ~100). A URL
whose arguments are ids (``<int:pk>``) is the same text around them for
every id, so ``id_url`` reverses each name once per URL configuration and
script prefix, with marker ids, and keeps the text between them. A pattern
that does not write its arguments as plain digits is left to ``reverse``.
"""

from __future__ import annotations

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse

# Ids no row has: where reverse() writes them is where a row's ids go.
_MARKER = 8_765_432_100
_FALLBACK = ()
_pieces: dict[tuple, tuple[str, ...]] = {}


def id_url(viewname: str, *ids: int) -> str:
    """``reverse(viewname, args=ids)`` for ids that are whole numbers ≥ 0."""
    pieces = id_url_pieces(viewname, len(ids))
    if pieces is _FALLBACK or any(type(i) is not int or i < 0 for i in ids):
        return reverse(viewname, args=ids)
    written = [pieces[0]]
    for index, value in enumerate(ids, start=1):
        written += [str(value), pieces[index]]
    return "".join(written)


def id_url_pieces(viewname: str, count: int) -> tuple[str, ...]:
    """The text around the ``count`` ids of ``viewname``'s URL (``count`` + 1
    pieces), e.g. ``("/cases/", "/")``, for SQL that writes the links of many
    rows; ``()`` for a pattern that doesn't write its ids as plain digits."""
    key = (viewname, count, get_script_prefix(), get_urlconf())
    pieces = _pieces.get(key)
    if pieces is None:
        pieces = _pieces[key] = _split(viewname, count)
    return pieces


def _split(viewname: str, count: int) -> tuple[str, ...]:
    markers = [str(_MARKER + index) for index in range(count)]
    url = reverse(viewname, args=[int(marker) for marker in markers])
    pieces = []
    for marker in markers:
        before, found, url = url.partition(marker)
        if not found or marker in url:
            return _FALLBACK
        pieces.append(before)
    return (*pieces, url)


@receiver(setting_changed)
def _forget_pieces(*, setting: str, **kwargs) -> None:
    # As Django forgets its own URL caches when a test changes the URLs.
    if setting in {"ROOT_URLCONF", "FORCE_SCRIPT_NAME"}:
        _pieces.clear()
