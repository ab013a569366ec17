"""Forms and widgets of the partners app: shape checks only, no saving of domain rows."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from partners.validators import ACCEPT_ATTRIBUTE


class DocumentInput(forms.ClearableFileInput):
    """A file input whose "currently" link points at the staff-only download view
    (``partners:document``), never at MEDIA_URL."""

    template_name = "partners/widgets/document_input.html"

    def __init__(self, *, kind: str, attrs: dict | None = None) -> None:
        super().__init__(attrs={"accept": ACCEPT_ATTRIBUTE, **(attrs or {})})
        self.kind = kind

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        instance = getattr(value, "instance", None)
        if self.is_initial(value) and instance is not None and instance.pk:
            context["widget"]["download_url"] = reverse(
                "partners:document", kwargs={"kind": self.kind, "pk": instance.pk}
            )
        return context


class StatusReasonForm(forms.Form):
    """The reason an admin gives when pausing or rejecting partners."""

    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        max_length=2000,
    )
