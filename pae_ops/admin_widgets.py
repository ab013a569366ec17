"""Django admin autocomplete that survives bad input.

Django's ``AutocompleteSelect`` renders the options a bound form was sent by
querying the related model with the raw submitted values. When a value is
not even a valid key ("abc", "1.5" for an integer id), the form is
correctly invalid ("Select a valid choice"), but re-rendering it raises
``ValueError`` in that query: a 500 instead of the form with its error.
The widgets here drop the values the related key field cannot read before
that query; every ``ModelAdmin`` and inline with ``autocomplete_fields``
uses them through :class:`SafeAutocompleteMixin` (a test walks the
registered admins so that a new one can't forget).
"""

from __future__ import annotations

from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import ValidationError


class _ReadableValuesMixin:
    """Keep only the submitted values the related key field can read."""

    def _readable(self, value: str) -> bool:
        remote = self.field.remote_field
        target = remote.model._meta.get_field(remote.field_name)
        try:
            target.to_python(value)
        except (ValidationError, ValueError, TypeError):
            return False
        return True

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if self._readable(v)], attr)


class SafeAutocompleteSelect(_ReadableValuesMixin, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(_ReadableValuesMixin, AutocompleteSelectMultiple):
    pass


class SafeAutocompleteMixin:
    """For a ``ModelAdmin`` or an inline: its ``autocomplete_fields`` use the
    widgets above (nothing else changes)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)
