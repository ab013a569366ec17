"""``{% interaction_row %}`` (cases.templatetags.timeline_rows): a timeline's
interaction row, markup and texts pinned to what the included template
``cases/partials/_interaction_row.html`` wrote before it (the browser tests
and the views' tests read its ids and ``data-testid``s)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone, translation

from cases.models import Case, Interaction, ResponseTemplate, TypingCategory, TypingReason
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROW = Template("{% load timeline_rows %}{% interaction_row interaction show_case=show_case %}")
AT = datetime(2026, 11, 9, 16, 5, tzinfo=UTC)

TYPED_ROW_ES = (
    '<li class="list-group-item" id="interaction-101" data-interaction="101">\n'
    '  <div class="d-flex justify-content-between flex-wrap gap-2">\n'
    '    <span class="fw-semibold">Saliente · WhatsApp</span>\n'
    '    <small class="text-secondary">09/11/2026 10:05 · Luisa Herrera &lt;L&amp;H&gt;</small>\n'
    "  </div>\n"
    '  <p class="mb-1 text-break preserve-lines">Hola <mark class="mention" title="Luisa Herrera">'
    "@lherrera</mark> y @nadie: &lt;b&gt;ok&lt;/b&gt; &amp; &quot;bien&quot;\n"
    "segunda línea\n"
    "correo ana@example.com</p>\n"
    "  <small>\n"
    '    <span class="badge text-bg-light border" data-testid="typing">Cobranza &amp; pagos \u203a '
    "Pago &quot;doble&quot;</span>\n"
    '    · <a href="/cases/12/">#12 Reembolso &lt;urgente&gt; &amp; rápido</a>\n'
    "    · Plantilla: Bienvenida\n"
    "  </small>\n"
    "</li>\n"
)
UNTYPED_ROW_EN = (
    '<li class="list-group-item" id="interaction-102" data-interaction="102">\n'
    '  <div class="d-flex justify-content-between flex-wrap gap-2">\n'
    '    <span class="fw-semibold">Inbound · Phone</span>\n'
    '    <small class="text-secondary">11/09/2026 4:05 p.m. · ana_o&#x27;neil</small>\n'
    "  </div>\n"
    '  <p class="mb-1 text-break preserve-lines">Llamó   el cliente</p>\n'
    "  <small>\n"
    '    <span class="badge text-bg-warning" data-testid="untyped">Not typed</span>\n'
    "    \n"
    "    \n"
    "  </small>\n"
    "</li>\n"
)


def _render(interaction: Interaction, *, show_case: bool) -> str:
    context = {"interaction": interaction, "show_case": show_case}
    return ROW.render(Context({**context, "request": RequestFactory().get("/")}))


def _typed() -> Interaction:
    handler = UserFactory.build(
        pk=7, username="lherrera", first_name="Luisa", last_name="Herrera <L&H>"
    )
    category = TypingCategory(pk=3, name_es="Cobranza & pagos", name_en="Billing & payments")
    reason = TypingReason(
        pk=4, category=category, name_es='Pago "doble"', name_en="Double <payment>"
    )
    return Interaction(
        pk=101,
        case=Case(pk=12, subject="Reembolso <urgente> & rápido"),
        channel=Interaction.Channel.WHATSAPP,
        direction=Interaction.Direction.OUTBOUND,
        occurred_at=AT,
        handled_by=handler,
        category=category,
        reason=reason,
        template=ResponseTemplate(pk=5, name_es="Bienvenida", name_en="Welcome"),
        summary='Hola @lherrera y @nadie: <b>ok</b> & "bien"\nsegunda línea\n'
        "correo ana@example.com",
    )


def _untyped() -> Interaction:
    return Interaction(
        pk=102,
        case=Case(pk=12, subject="Caso"),
        channel=Interaction.Channel.PHONE,
        direction=Interaction.Direction.INBOUND,
        occurred_at=AT,
        handled_by=UserFactory.build(pk=8, username="ana_o'neil", first_name="", last_name=""),
        summary="Llamó   el cliente",
    )


def test_interaction_row_writes_the_typed_row_with_its_case_and_mentions():
    """The case, when shown, links to it; a colleague's mention is marked, an
    unknown login is not; every value escaped; the time in the user's zone."""
    UserFactory(username="lherrera", first_name="Luisa", last_name="Herrera", agent=True)
    with translation.override("es"), timezone.override("America/Mexico_City"):
        assert _render(_typed(), show_case=True) == TYPED_ROW_ES


def test_interaction_row_writes_the_untyped_row_in_english_without_its_case():
    with translation.override("en"), timezone.override("UTC"):
        assert _render(_untyped(), show_case=False) == UNTYPED_ROW_EN


def test_interaction_row_leaves_the_case_out_unless_asked():
    with translation.override("es"):
        written = _render(_typed(), show_case=False)
    assert "/cases/12/" not in written
    assert "Plantilla: Bienvenida" in written
