"""Test helpers: post a Django admin change form as a browser would, with edits."""

from __future__ import annotations

from django import forms
from django.db.models.fields.files import FieldFile


def _form_values(form, data: dict) -> None:
    for bound in form:
        value = bound.value()
        if value is None or isinstance(value, FieldFile):
            continue  # an untouched file input posts nothing and keeps the file
        if isinstance(bound.field.widget, forms.CheckboxInput):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, list | tuple):
            data[bound.html_name] = [str(item) for item in value]
        else:
            data[bound.html_name] = str(value)


def change_form_data(response, **edits) -> dict:
    """The data the admin page in ``response`` would post, with ``edits`` applied.

    Inline fields are named as in the page: ``agreements-0-signed_on``.
    """
    data: dict = {}
    _form_values(response.context["adminform"].form, data)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = str(management[name].value())
        for form in formset.forms:
            _form_values(form, data)
    data.update(edits)
    return {key: value for key, value in data.items() if value is not None}


def inline_form(response, prefix: str, index: int):
    """The form ``index`` of the inline formset ``prefix`` in an admin response."""
    for inline in response.context["inline_admin_formsets"]:
        if inline.formset.prefix == prefix:
            return inline.formset.forms[index]
    raise LookupError(prefix)
