"""How the Spanish UI writes numbers and dates: Mexico's conventions.

The business calendar is Mexico's, so ``es`` follows Django's ``es_MX``
(NOM-008-SCFI-2002 as Mexicans write it day to day): a decimal point and a
comma for thousands (``1,234.50``, ``$5,000.00``, ``50.0 %``), dates as
dd/mm/aaaa and the 24-hour clock. Django's plain ``es`` (Spain) would write
``1.234,50``. Selected by ``FORMAT_MODULE_PATH``; see docs/i18n.md.
"""

from django.conf.locale.es_MX.formats import (  # noqa: F401
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

# What a date or time field accepts, the first one being what it shows and
# what its placeholder says (``pae_ops.widgets``). ISO (2026-12-02) is always
# accepted too (Django adds it).
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d/%m/%y"]
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S"]
DATETIME_INPUT_FORMATS = [
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%y %H:%M",
]
