"""``html_join`` writes what Django's ``format_html_join`` writes."""

from __future__ import annotations

from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy
from hypothesis import given
from hypothesis import strategies as st

from pae_ops.fast_html import html_join

values = st.one_of(
    st.text(),
    st.text().map(mark_safe),
    st.integers(),
    st.floats(allow_nan=False),
    st.sampled_from(['<script>"x"</script>', "Ñandú & 'Cía'", gettext_lazy("Search")]),
)


@given(rows=st.lists(st.tuples(values, values), max_size=8))
def test_html_join_is_format_html_join(rows):
    template = '<td class="{}">{}</td>'
    written = html_join(template, rows)
    assert written == format_html_join("", template, rows)
    assert isinstance(written, SafeString)


def test_html_join_escapes_what_is_not_safe_and_keeps_what_is():
    written = html_join("<i>{}</i>{}", [("<b>", mark_safe("<b>"))])
    assert written == "<i>&lt;b&gt;</i><b>"
