from django.urls import path

from kpis import views

app_name = "kpis"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export/<slug:table>.csv", views.dashboard_export, name="export"),
    path("team/", views.team, name="team"),
    path("team/export.csv", views.team_export, name="team-export"),
]
