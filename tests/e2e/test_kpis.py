"""Browser test of the director's KPI dashboard: filters, a chart's table, the CSV."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.clients.factories import ClientFactory
from tests.e2e.nav import go_to
from tests.factories import DEMO_PASSWORD, UserFactory
from tests.kpis import factories as build
from tests.partners.factories import ActivePartnerFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("role_groups"),
]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Nombre de usuario").fill(username)
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()


def test_director_filters_the_dashboard_opens_a_charts_table_and_downloads_the_csv(
    live_server, page: Page
):
    """RULES: KPI-1, KPI-8, ROLE-1. Segment A and one partner narrow the sales;
    the trend chart has its table; the CSV carries the filters."""
    # given: three sales today, one of them to an A client of partner "Crece"
    today = timezone.localdate()
    director = UserFactory(username="e2e-kpis-director", director=True)
    crece = ActivePartnerFactory(brand_name="Crece Digital")
    other = ActivePartnerFactory(brand_name="Otro Socio")
    ours = build.product(partner=crece, name="Programa Crece")
    theirs = build.product(partner=other, name="Programa Otro")
    a_client = ClientFactory(name="Ana Premium", computed_segment="A")
    b_client = ClientFactory(name="Beto Crece", computed_segment="B")
    build.purchase(on=today, client=a_client, product_=ours, price="100.00")
    build.purchase(on=today, client=b_client, product_=ours, price="200.00")
    build.purchase(on=today, client=a_client, product_=theirs, price="400.00")
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    # The director opens the dashboard from the navigation.
    log_in(page, live_server.url, director.username)
    go_to(page, "kpis")
    expect(page.get_by_test_id("value-sold")).to_have_text("700.00")
    expect(page.get_by_test_id("value-growth")).to_have_text("sin datos")

    # Filters segment A and the partner: the figures change, the URL keeps them.
    page.locator("#id_segment").select_option("A")
    page.locator("#id_partner").select_option(str(crece.pk))
    page.get_by_test_id("kpi-filter-submit").click()
    expect(page.get_by_test_id("value-sold")).to_have_text("100.00")
    assert "segment=A" in page.url
    assert f"partner={crece.pk}" in page.url
    expect(page.get_by_test_id("product-note")).to_be_visible()
    expect(page.get_by_test_id("breakdown-product").locator("tbody tr")).to_have_count(1)

    # Opens the table behind the trend chart of total sold.
    chart_table = page.get_by_test_id("chart-table-sold")
    expect(chart_table.locator("table")).to_be_hidden()
    chart_table.locator("summary").click()
    expect(chart_table.locator("tbody tr")).to_have_count(12)
    expect(chart_table.locator("tbody tr").last).to_contain_text("100.00")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "kpi-dashboard.png"), full_page=True)

    # Downloads the summary as CSV, with the same filters.
    with page.expect_download() as download_info:
        page.get_by_test_id("export-summary").click()
    download = download_info.value
    assert download.suggested_filename == f"kpis-summary-{today:%Y-%m}.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    sold = next(row for row in rows if row[0] == "Total vendido")
    assert Decimal(sold[2]) == Decimal("100.00")
    assert sold[3] == "sin datos"

    # No CSP violation or script error on the way.
    assert errors == []
