"""``pae_ops.widgets.FastSelect`` writes what Django's ``Select`` writes
through its templates."""

from __future__ import annotations

import pytest
from django import forms
from django.contrib.auth import get_user_model
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st

from pae_ops.widgets import FastSelect
from tests.factories import UserFactory

User = get_user_model()

texts = st.one_of(
    st.text(max_size=12),
    st.sampled_from(['<b>"x"</b>', "Ñandú & 'Cía'", "1,5"]),
    st.text(max_size=12).map(mark_safe),
    st.just(gettext_lazy("Search")),
)
values = st.one_of(st.text(max_size=8), st.integers(), st.sampled_from(["", 1.5, "a&b"]))
options = st.lists(st.tuples(values, st.one_of(texts, st.integers())), max_size=5)
choices = st.lists(st.one_of(st.tuples(values, texts), st.tuples(texts, options)), max_size=6)
attrs = st.dictionaries(
    st.sampled_from(["class", "data-x", "disabled", "required", "hx-get", "title"]),
    st.one_of(texts, st.booleans(), st.integers()),
    max_size=4,
)


@given(choices=choices, attrs=attrs, extra=attrs, value=st.one_of(st.none(), values))
def test_fast_select_writes_what_select_writes(choices, attrs, extra, value):
    fast = FastSelect(attrs=attrs, choices=choices).render("name", value, attrs=extra)
    django = forms.Select(attrs=attrs, choices=choices).render("name", value, attrs=extra)
    assert fast == django


def test_fast_select_in_a_bound_form_writes_what_select_writes():
    choices = [("", "---"), ("Grupo <1>", [("1", "Uno"), ("2", "Dos & más")]), ("3", "Tres")]

    class Form(forms.Form):
        fast = forms.ChoiceField(choices=choices, widget=FastSelect(attrs={"class": "form-select"}))
        slow = forms.ChoiceField(
            choices=choices, widget=forms.Select(attrs={"class": "form-select"})
        )

    form = Form(data={"fast": "2", "slow": "2"})
    assert str(form["fast"]).replace("fast", "slow") == str(form["slow"])
    assert " selected>Dos &amp; más</option>" in str(form["fast"])


def test_a_select_with_its_own_templates_renders_them():
    class Templates:
        template_name = forms.RadioSelect.template_name
        option_template_name = forms.RadioSelect.option_template_name

    class Fast(Templates, FastSelect):
        pass

    class Slow(Templates, forms.Select):
        pass

    written = Fast(choices=[("a", "A")]).render("name", "a")
    assert written == Slow(choices=[("a", "A")]).render("name", "a")
    assert written.startswith("<div>")


@pytest.mark.django_db
def test_a_model_choice_select_writes_what_select_writes():
    """The board's assignee filter: options from a queryset (their values are
    ``ModelChoiceIteratorValue``), one of them chosen."""
    people = [UserFactory(first_name=name) for name in ("Ana & Luis", "Óscar")]
    queryset = User.objects.filter(pk__in=[p.pk for p in people]).order_by("pk")

    class Form(forms.Form):
        fast = forms.ModelChoiceField(queryset, empty_label="Todos", widget=FastSelect)
        slow = forms.ModelChoiceField(queryset, empty_label="Todos", widget=forms.Select)

    form = Form(data={"fast": people[1].pk, "slow": people[1].pk})
    assert str(form["fast"]).replace("fast", "slow") == str(form["slow"])
    assert f'<option value="{people[1].pk}" selected>' in str(form["fast"])
