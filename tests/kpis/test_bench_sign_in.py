"""make bench and its load test sign in as people work: with the second factor verified."""

from __future__ import annotations

import pytest
from django.test import Client

from kpis import bench
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_bench_measures_a_directors_page_not_the_second_factor_redirect(settings):
    settings.TWO_FACTOR_REQUIRED = True
    director = UserFactory(director=True)
    plain = Client()
    plain.force_login(director)
    assert plain.get("/kpis/").status_code == 302  # to the second factor
    assert bench.signed_in(director).get("/kpis/").status_code == 200
    # the same device again for a second client (the load test's session)
    assert bench.second_factor_session(director) == bench.second_factor_session(director)
