"""What the KPI pages show, formatted once in Python.

The selectors return numbers; this module turns them into the strings, tooltips
and chart geometry the templates print, so that a page of a thousand cells
renders in a few milliseconds (template filters per cell cost ten times more).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from kpis.charts import Chart, bar_chart
from kpis.figures import FigureDef
from kpis.formatting import format_change, format_value
from kpis.selectors import DirectorDashboard, TeamView
from pae_ops.fast_html import html_join

INFO_ICON = (
    '<svg width="14" height="14" viewBox="0 0 16 16" fill="currentColor" aria-hidden="true"'
    ' focusable="false"><path d="M8 1a7 7 0 1 0 0 14A7 7 0 0 0 8 1zm0 1.2a5.8 5.8 0 1 1 0'
    ' 11.6A5.8 5.8 0 0 1 8 2.2zM7.3 7h1.4v4.8H7.3zm.7-2.6a.9.9 0 1 1 0 1.8.9.9 0 0 1 0-1.8z"/>'
    "</svg>"
)


@dataclass(frozen=True)
class FigureHead:
    key: str
    label: str
    rule: str
    tooltip: str
    aria: str
    unnarrowed: bool

    @property
    def info(self) -> SafeString:
        """The info button: a Bootstrap tooltip, and the ``title`` without script."""
        return format_html(
            '<button type="button" class="btn btn-link btn-sm p-0 align-baseline kpi-info"'
            ' data-bs-toggle="tooltip" title="{}" aria-label="{}" data-testid="info-{}">'
            "{}</button>",
            self.tooltip,
            self.aria,
            self.key,
            SafeString(INFO_ICON),
        )


@dataclass(frozen=True)
class SummaryLine:
    head: FigureHead
    value: str
    year_ago: str
    change: str


@dataclass(frozen=True)
class Card:
    head: FigureHead
    value: str
    year_ago: str
    chart: Chart
    table: list[tuple[str, str]]

    @property
    def svg(self) -> SafeString:
        return chart_svg(self.chart, key=self.head.key, label=self.head.label)

    @property
    def table_rows(self) -> SafeString:
        return html_join(
            '<tr><th scope="row" class="fw-normal">{}</th><td class="text-end">{}</td></tr>',
            self.table,
        )


@dataclass(frozen=True)
class Table:
    name: str
    title: str
    dimension: str
    columns: list[FigureHead]
    rows: list[tuple[str, list[str]]]

    @property
    def body(self) -> SafeString:
        """The rows as HTML (built here: a thousand cells in a template loop are slow)."""
        return html_join(
            '<tr><th scope="row" class="fw-normal">{}</th>{}</tr>',
            (
                (label, html_join('<td class="text-end">{}</td>', ((c,) for c in cells)))
                for label, cells in self.rows
            ),
        )


def chart_svg(chart: Chart, *, key: str, label: str) -> SafeString:
    """The SVG of a bar chart: axis, scale labels, one bar per month with its
    value in a ``<title>``. Numbers with a dot whatever the language."""
    title = _("%(name)s, last 12 months") % {"name": label}
    bars = html_join(
        '<rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>'
        '<text class="kpi-tick" x="{}" y="{}" text-anchor="middle">{}</text>',
        (
            (
                "kpi-bar" if bar.has_data else "kpi-bar-empty",
                f"{bar.x:.1f}",
                f"{bar.y:.1f}",
                f"{bar.width:.1f}",
                f"{bar.height:.1f}",
                bar.text,
                f"{bar.label_x:.1f}",
                f"{chart.label_y:.1f}",
                bar.label,
            )
            for bar in chart.bars
        ),
    )
    low = (
        format_html(
            '<text class="kpi-tick" x="{}" y="{}" text-anchor="end">{}</text>',
            chart.left - 4,
            f"{chart.bottom:.1f}",
            chart.min_label,
        )
        if chart.min_label
        else ""
    )
    return format_html(
        '<svg class="kpi-chart" viewBox="0 0 {w} {h}" role="img"'
        ' aria-labelledby="chart-{key}-title" data-testid="chart-{key}">'
        '<title id="chart-{key}-title">{title}</title>'
        '<line class="kpi-axis" x1="{left}" y1="{top}" x2="{right}" y2="{top}"'
        ' stroke-dasharray="2 3"/>'
        '<line class="kpi-axis" x1="{left}" y1="{base}" x2="{right}" y2="{base}"/>'
        '<text class="kpi-tick" x="{tick}" y="{top4}" text-anchor="end">{high}</text>'
        '<text class="kpi-tick" x="{tick}" y="{base}" dy="4" text-anchor="end">0</text>'
        "{low}{bars}</svg>",
        w=chart.width,
        h=chart.height,
        key=key,
        title=title,
        left=chart.left,
        right=chart.right_edge,
        top=chart.top,
        top4=chart.top + 4,
        base=f"{chart.baseline:.1f}",
        tick=chart.left - 4,
        high=chart.max_label,
        low=low,
        bars=bars,
    )


def head(figure: FigureDef, *, period: str, narrows_products: bool) -> FigureHead:
    """The figure's name and its tooltip: what it measures, the formula, the period."""
    unnarrowed = narrows_products and not figure.by_product
    parts = [
        str(figure.what),
        _("Formula: %(formula)s") % {"formula": figure.formula},
        _("Period: %(period)s.") % {"period": period},
    ]
    if unnarrowed:
        parts.append(_("Not narrowed by partner or product."))
    tooltip = " ".join(parts)
    return FigureHead(
        key=figure.key,
        label=str(figure.label),
        rule=figure.rule,
        tooltip=tooltip,
        aria=_("About %(name)s: %(text)s") % {"name": figure.label, "text": tooltip},
        unnarrowed=unnarrowed,
    )


def period_label(month: date) -> str:
    return date_format(month, "F Y")


BREAKDOWN_TITLES = {
    "segment": (lambda: _("By segment"), lambda: _("Segment")),
    "partner": (lambda: _("By partner"), lambda: _("Partner")),
    "product": (lambda: _("By product"), lambda: _("Product")),
    "agent": (lambda: _("By agent"), lambda: _("Agent")),
}


def dashboard_page(data: DirectorDashboard) -> dict:
    period = period_label(data.month)
    narrows = data.narrows_products
    language = get_language()  # once: the page writes ~1,000 numbers
    heads: dict[str, FigureHead] = {}
    # Each month's names once (date_format is slow, and there are 12 × 10 bars).
    labels = {month: (date_format(month, "M"), period_label(month)) for month in data.months}

    def figure_head(figure: FigureDef) -> FigureHead:
        if figure.key not in heads:
            heads[figure.key] = head(figure, period=period, narrows_products=narrows)
        return heads[figure.key]

    summary = [
        SummaryLine(
            head=figure_head(row.figure),
            value=format_value(row.value, row.figure.unit, language=language),
            year_ago=format_value(row.year_ago, row.figure.unit, language=language),
            change=format_change(row.change, row.figure.unit),
        )
        for row in data.summary
    ]
    by_key = {line.head.key: line for line in summary}
    cards = []
    for trend in data.trends:
        line = by_key[trend.figure.key]
        cards.append(
            Card(
                head=line.head,
                value=line.value,
                year_ago=_("A year before: %(value)s (%(change)s)")
                % {"value": line.year_ago, "change": line.change},
                chart=bar_chart(trend.points, trend.figure.unit, labels=labels, language=language),
                table=[
                    (labels[month][1], format_value(value, trend.figure.unit, language=language))
                    for month, value in trend.points
                ],
            )
        )
    tables = []
    for breakdown in data.breakdowns:
        title, dimension = BREAKDOWN_TITLES[breakdown.name]
        tables.append(
            Table(
                name=breakdown.name,
                title=title(),
                dimension=dimension(),
                columns=[figure_head(figure) for figure in breakdown.figures],
                rows=[
                    (
                        row.label,
                        [
                            format_value(row.values[f.key], f.unit, language=language)
                            for f in breakdown.figures
                        ],
                    )
                    for row in breakdown.rows
                ],
            )
        )
    growth = (
        _("no data") if data.growth is None else f"{'+' if data.growth > 0 else ''}{data.growth} %"
    )
    return {"summary": summary, "cards": cards, "tables": tables, "growth": growth}


def team_page(data: TeamView) -> dict:
    period = period_label(data.month)
    columns = [head(figure, period=period, narrows_products=False) for figure in data.figures]
    language = get_language()

    def cells(row) -> list[str]:
        return [
            "—"
            if row.key is None and figure.key == "commission"
            else format_value(row.values[figure.key], figure.unit, language=language)
            for figure in data.figures
        ]

    return {
        "columns": columns,
        "rows": [(row.key, row.label, cells(row)) for row in data.rows],
        "total": (data.total.label, cells(data.total)),
    }


def growth_head(data: DirectorDashboard) -> FigureHead:
    """The tooltip of KPI-2, which is not a ``FigureDef`` (it compares two months)."""
    tooltip = " ".join(
        [
            _("Total sold in the month against the same month a year before."),
            _("Formula: %(formula)s")
            % {
                "formula": _(
                    "(sold − sold a year before) ÷ sold a year before × 100; no data when "
                    "nothing was sold a year before."
                )
            },
            _("Period: %(period)s.") % {"period": period_label(data.month)},
        ]
    )
    return FigureHead(
        key="growth",
        label=_("Sales growth"),
        rule="KPI-2",
        tooltip=tooltip,
        aria=_("About %(name)s: %(text)s") % {"name": _("Sales growth"), "text": tooltip},
        unnarrowed=False,
    )


@dataclass(frozen=True)
class FilterField:
    id: str
    label: str
    control: SafeString
    errors: list[str]


def filter_fields(form) -> list[FilterField]:
    """The filter form's fields as HTML, selects built here (a widget template per
    option is slow with fifty agents)."""
    fields = []
    data = form.data if form.is_bound else {}
    for bound in form:
        name = bound.name
        current = str(data.get(name, "") if form.is_bound else (bound.initial or ""))
        attrs = bound.field.widget.attrs
        if name == "month":
            control = format_html(
                '<input type="month" name="month" id="{}" value="{}" class="{}" placeholder="{}">',
                bound.id_for_label,
                current,
                attrs.get("class", ""),
                attrs.get("placeholder", ""),
            )
        else:
            options = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                (
                    (value, SafeString(" selected") if str(value) == current else "", label)
                    for value, label in bound.field.choices
                ),
            )
            control = format_html(
                '<select name="{}" id="{}" class="{}">{}</select>',
                name,
                bound.id_for_label,
                attrs.get("class", ""),
                options,
            )
        fields.append(
            FilterField(
                bound.id_for_label, str(bound.label), control, [str(e) for e in bound.errors]
            )
        )
    return fields
