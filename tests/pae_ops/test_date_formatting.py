"""``pae_ops.formatting.short_datetime`` writes exactly what the template
filter ``{{ value|date:"SHORT_DATETIME_FORMAT" }}`` writes (docs/i18n.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.utils import timezone, translation
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pae_ops.formatting import short_datetime

FILTER = Template('{{ value|date:"SHORT_DATETIME_FORMAT" }}')
# Hypothesis takes naive bounds and adds the zone itself.
times = st.datetimes(
    min_value=datetime(1900, 1, 1),  # noqa: DTZ001
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@pytest.mark.parametrize("language", ["es", "en", "de", "ja"])
@pytest.mark.parametrize("zone", ["America/Mexico_City", "UTC", "Asia/Kolkata"])
@settings(max_examples=150, deadline=None)
@given(value=times)
@example(value=datetime(2026, 11, 9, 6, 0, tzinfo=UTC))  # midnight in Mexico City
@example(value=datetime(2026, 11, 9, 18, 0, tzinfo=UTC))  # noon in Mexico City
@example(value=datetime(2026, 11, 9, 16, 5, tzinfo=UTC))
def test_short_datetime_writes_what_the_date_filter_writes(language, zone, value):
    """English writes "4:05 p.m.", "noon" and "midnight"; German "09.11.2026 10:05"."""
    with translation.override(language), timezone.override(zone):
        assert short_datetime(value) == FILTER.render(Context({"value": value}))


def test_short_datetime_of_nothing_is_empty():
    assert short_datetime(None) == ""


def test_short_datetime_leaves_a_format_it_does_not_know_to_django(settings):
    """A format with a weekday ("D") is written Django's way."""
    settings.FORMAT_MODULE_PATH = None
    settings.SHORT_DATETIME_FORMAT = r"D j \d\e M, H:i"
    value = datetime(2026, 11, 9, 16, 5, tzinfo=UTC)
    with translation.override("xx"), timezone.override("UTC"):
        assert short_datetime(value) == FILTER.render(Context({"value": value}))
