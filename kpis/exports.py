"""CSV exports of the dashboards' tables, safe to open in a spreadsheet.

``csv_safe`` is the one guard against formula injection (CSV injection): a
text cell that starts with ``=``, ``+``, ``-``, ``@`` or a control character
(tab, carriage return, line feed…) gets a leading apostrophe, so that Excel,
LibreOffice or Sheets show it as text instead of running it. Numbers are
written as numbers (a negative growth stays a number); "no data" is written
as the words, never as 0.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import HttpResponse

FORMULA_TRIGGERS = frozenset("=+-@")


def csv_safe(value: object) -> object:
    """``value`` ready for a CSV cell: numbers as they are, text defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | Decimal | float):
        return value
    text = str(value)
    if text and (text[0] in FORMULA_TRIGGERS or ord(text[0]) < 32 or text[0] == "\x7f"):
        return "'" + text
    return text


def csv_response(filename: str, header: Sequence[object], rows: Iterable[Sequence[object]]):
    """An attachment ``filename`` (UTF-8 with a BOM, for Excel) of ``rows``."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow([csv_safe(cell) for cell in header])
    for row in rows:
        writer.writerow([csv_safe(cell) for cell in row])
    return response
