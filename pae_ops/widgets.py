"""Date and time fields that follow the UI's language, not the browser's.

A native ``<input type="date">`` or ``datetime-local`` is drawn by the
browser in *its* locale: Chromium showed "12/02/2026, 07:34 AM" inside the
Spanish UI. These are text inputs instead: the value is shown, and parsed,
with the active language's first input format (``pae_ops.formats``:
dd/mm/aaaa in Spanish, mm/dd/yyyy in English, both on the 24-hour clock), the
placeholder says that format in the reader's words, and a bad value gets a
message that says it too. ISO values (2026-12-02, 2026-12-02T07:34) are
accepted as well, for scripts and old links. See docs/i18n.md.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext as _

# strftime directives in the words of each language's placeholder.
_DIRECTIVES = {
    "%d": lambda: _("dd"),
    "%m": lambda: _("mm"),
    "%Y": lambda: _("yyyy"),
    "%y": lambda: _("yy"),
    "%H": lambda: _("hh"),
    "%M": lambda: _("mm"),
    "%S": lambda: _("ss"),
}


def format_hint(format_key: str) -> str:
    """The active language's first input format, as a reader writes it: ``dd/mm/aaaa``."""
    pattern = formats.get_format(format_key)[0]
    for directive, word in _DIRECTIVES.items():
        pattern = pattern.replace(directive, word())
    return pattern


class _LocalizedInput:
    format_key: str
    input_type = "text"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)  # type: ignore[misc]
        widget_attrs = context["widget"]["attrs"]
        widget_attrs.setdefault("placeholder", format_hint(self.format_key))
        widget_attrs.setdefault("autocomplete", "off")
        widget_attrs.setdefault("inputmode", "numeric")
        return context


class LocalizedDateInput(_LocalizedInput, forms.DateInput):
    """A date in the active language's format (``02/12/2026`` in Spanish)."""

    format_key = "DATE_INPUT_FORMATS"

    def __init__(self, attrs: dict | None = None) -> None:
        # format=None: Django shows the value with the active language's
        # first DATE_INPUT_FORMATS entry, at render time.
        super().__init__(attrs={"class": "form-control", **(attrs or {})})


class LocalizedDateTimeInput(_LocalizedInput, forms.DateTimeInput):
    """A date and time in the active language's format (``02/12/2026 07:34``)."""

    format_key = "DATETIME_INPUT_FORMATS"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs={"class": "form-control", **(attrs or {})})


class LocalizedDateField(forms.DateField):
    """A ``DateField`` on ``LocalizedDateInput`` whose error says the format."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("widget", LocalizedDateInput())
        super().__init__(**kwargs)

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as exc:
            if exc.code != "invalid":
                raise
            message = _("Enter the date as %(format)s.") % {
                "format": format_hint("DATE_INPUT_FORMATS")
            }
            raise ValidationError(message, code="invalid") from None


class LocalizedDateTimeField(forms.DateTimeField):
    """A ``DateTimeField`` on ``LocalizedDateTimeInput`` whose error says the format."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("widget", LocalizedDateTimeInput())
        super().__init__(**kwargs)

    def to_python(self, value):
        try:
            return super().to_python(value)
        except ValidationError as exc:
            if exc.code != "invalid":
                raise
            message = _("Enter the date and time as %(format)s.") % {
                "format": format_hint("DATETIME_INPUT_FORMATS")
            }
            raise ValidationError(message, code="invalid") from None
