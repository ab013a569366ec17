"""One way to write numbers and dates per language (pae_ops.formats):
Spanish follows Mexico (1,234.50 · 50.0 % · 02/12/2026), English the United
States (1,234.50 · 50.0 % · 12/02/2026); pages, KPI values and exports agree."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.template import Context, Template
from django.utils import timezone, translation

from kpis.figures import Unit
from kpis.formatting import format_change, format_value
from pae_ops.formatting import money, percent, short_date
from pae_ops.widgets import LocalizedDateField, LocalizedDateTimeField, format_hint

MEXICO = ZoneInfo("America/Mexico_City")


@pytest.mark.parametrize(
    ("language", "expected_date"),
    [("es", "02/12/2026"), ("en", "12/02/2026")],
)
def test_numbers_and_dates_in_each_language(language, expected_date):
    with translation.override(language):
        assert money(Decimal("1234.5")) == "1,234.50"
        assert percent(Decimal("50")) == "50.0 %"
        assert short_date(date(2026, 12, 2)) == expected_date
        # the KPI pages use the same helpers
        assert format_value(Decimal("50.0"), Unit.PERCENT) == "50.0 %"
        assert format_value(Decimal("12345.67"), Unit.MONEY) == "12,345.67"
        assert format_value(12345, Unit.COUNT) == "12,345"
        assert format_change(Decimal("-2.5"), Unit.PERCENT).endswith("2.5 pts")


@pytest.mark.parametrize("language", ["es", "en"])
def test_a_template_writes_a_decimal_the_way_the_kpi_pages_do(language):
    """The agent's home printed 50,0 % (Django's es) where the KPI pages said 50.0 %."""
    template = Template("{{ value }} %|{{ value|floatformat:1 }}|{{ money|floatformat:'2g' }}")
    with translation.override(language):
        text = template.render(Context({"value": Decimal("50.0"), "money": Decimal("5000")}))
    assert text == "50.0 %|50.0|5,000.00"


def test_spanish_dates_in_templates_are_mexican():
    template = Template('{{ day|date:"SHORT_DATE_FORMAT" }} {{ at|date:"SHORT_DATETIME_FORMAT" }}')
    at = datetime(2026, 12, 2, 7, 34, tzinfo=MEXICO)
    with translation.override("es"), timezone.override(MEXICO):
        text = template.render(Context({"day": date(2026, 12, 2), "at": at}))
    assert text == "02/12/2026 02/12/2026 07:34"


class _DatesForm(forms.Form):
    day = LocalizedDateField()
    at = LocalizedDateTimeField()


@pytest.mark.parametrize(
    ("language", "day", "at", "hint"),
    [
        ("es", "02/12/2026", "02/12/2026 07:34", "dd/mm/aaaa hh:mm"),
        ("en", "12/02/2026", "12/02/2026 07:34", "mm/dd/yyyy hh:mm"),
    ],
)
def test_date_fields_parse_and_show_the_ui_language(language, day, at, hint):
    with translation.override(language):
        form = _DatesForm(data={"day": day, "at": at})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["day"] == date(2026, 12, 2)
        assert (form.cleaned_data["at"].month, form.cleaned_data["at"].day) == (12, 2)
        assert format_hint("DATETIME_INPUT_FORMATS") == hint
        html = str(_DatesForm(initial={"day": date(2026, 12, 2)})["day"])
        assert 'type="text"' in html
        assert f'value="{day}"' in html
        assert f'placeholder="{hint.split()[0]}"' in html


def test_iso_dates_are_still_accepted():
    with translation.override("es"):
        form = _DatesForm(data={"day": "2026-12-02", "at": "2026-12-02T07:34"})
        assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("es", "Escriba la fecha como dd/mm/aaaa."),
        ("en", "Enter the date as mm/dd/yyyy."),
    ],
)
def test_a_bad_date_gets_a_message_with_the_format(language, message):
    with translation.override(language):
        form = _DatesForm(data={"day": "31/31/2026", "at": "02/12/2026 07:34"})
        assert not form.is_valid()
        assert form.errors["day"] == [message]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["es", "en"])
def test_the_kpi_month_is_a_list_named_in_the_ui_language(language):
    from kpis.forms import KpiFilterForm
    from kpis.selectors import FilterChoices

    choices = FilterChoices(agents=[], partners=[], products=[])
    with translation.override(language):
        html = str(KpiFilterForm(choices=choices, default_month=date(2026, 11, 1))["month"])
    assert "<select" in html
    assert 'value="2026-11"' in html
    assert ("noviembre de 2026" if language == "es" else "November 2026") in html


@pytest.mark.django_db
def test_the_csv_export_writes_plain_numbers_and_the_policy_name(client):
    """Exports: numbers stay numbers (a decimal point, no thousands), no rule IDs."""
    from tests.factories import UserFactory
    from tests.policies.visible_text import RULE_ID

    client.force_login(UserFactory(director=True))
    response = client.get("/kpis/export/summary.csv")
    text = response.content.decode("utf-8-sig")
    assert response.status_code == 200
    assert "Política" in text.splitlines()[0]
    assert not RULE_ID.search(text)
