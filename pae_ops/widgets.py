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
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _

from pae_ops.fast_html import html_escape

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


class FastSelect(forms.Select):
    """Django's ``Select`` with its HTML written here instead of by its three
    templates (``select.html``, an included ``select_option.html`` per option,
    ``attrs.html`` per tag): the same text (tested equal), at a tenth of the
    cost. The interaction form's typing select has ~40 options, ~2 ms a page
    through the templates. A subclass with other templates renders Django's
    way."""

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        if (
            self.template_name != forms.Select.template_name
            or self.option_template_name != forms.Select.option_template_name
        ):
            return super().render(name, value, attrs, renderer)
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f"<select name={_quoted(widget['name'])}{_attrs(widget['attrs'])}>"]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f"\n  <optgroup label={_quoted(group_name)}>")
            parts.extend(
                f'\n  <option value="{html_escape(option["value"])}"{_attrs(option["attrs"])}>'
                f"{_text(option['label'])}</option>\n"  # the option template's last line
                for option in options
            )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 (every value escaped)


def _text(value: object) -> str:
    """``{{ value }}`` as a template writes it (localized, escaped)."""
    if type(value) is not str:
        value = formats.localize(template_localtime(value))
    return html_escape(value)


def _quoted(value: object) -> str:
    return f'"{_text(value)}"'


def _attrs(attrs: dict) -> str:
    """``django/forms/widgets/attrs.html``: `` name="value"`` (the value
    through ``stringformat:'s'``, so not localized), a bare ``name`` for
    True, nothing for False."""
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{html_escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )
