"""A URL configuration for tests/pae_ops/test_links.py: the same name elsewhere."""

from django.http import HttpResponse
from django.urls import include, path

cases = ([path("elsewhere/<int:pk>/", lambda request, pk: HttpResponse(), name="detail")], "cases")
urlpatterns = [path("", include(cases))]
