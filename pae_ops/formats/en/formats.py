"""How the English UI writes numbers and dates: the United States' conventions.

Django's ``en`` formats (``1,234.50``, ``12/02/2026``, ``7:34 a.m.``), with the
input formats of date and time fields put first in the order the fields show
them (``pae_ops.widgets``): mm/dd/yyyy and the 24-hour clock, as the portal's
clocks are shown. ISO (2026-12-02) is always accepted too. See docs/i18n.md.
"""

from django.conf.locale.en.formats import (  # noqa: F401
    DATE_FORMAT,
    DATETIME_FORMAT,
    DECIMAL_SEPARATOR,
    FIRST_DAY_OF_WEEK,
    MONTH_DAY_FORMAT,
    NUMBER_GROUPING,
    SHORT_DATE_FORMAT,
    SHORT_DATETIME_FORMAT,
    THOUSAND_SEPARATOR,
    TIME_FORMAT,
    YEAR_MONTH_FORMAT,
)

DATE_INPUT_FORMATS = ["%m/%d/%Y", "%m/%d/%y"]
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S", "%I:%M %p"]
DATETIME_INPUT_FORMATS = [
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%y %H:%M",
]
