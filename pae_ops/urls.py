from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from cases import search_views, survey_views
from cases import views as case_views
from kpis import home_views
from pae_ops import health, views
from refunds import views as refunds_views

admin.site.site_header = "PAE Ops"
admin.site.site_title = "PAE Ops"

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The agent's home lives with the cases it lists.
    path("my-work/", case_views.my_work, name="my-work"),
    # The leader's and the director's homes read every app: they live in kpis.
    path("team/", home_views.team, name="team"),
    path("direction/", home_views.direction, name="direction"),
    # The partner approver's home: their partner's refunds awaiting approval (REF-6).
    path("partner/approvals/", refunds_views.partner_approvals, name="partner-approvals"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications-read"),
    # The navigation bar's search: clients and cases (cases.search).
    path("search/", search_views.search_page, name="search"),
    # Saved views of the board and the client list (docs/cases.md).
    path("views/", views.saved_views, name="saved-views"),
    path("views/save/", views.saved_view_save, name="saved-view-save"),
    path("views/<int:pk>/", views.saved_view_open, name="saved-view-open"),
    path("views/<int:pk>/delete/", views.saved_view_delete, name="saved-view-delete"),
    path("language/", views.set_language, name="set-language"),
    path("health/", views.health, name="health"),
    # The account page, the second factor, password reset and invitations.
    path("account/", include("pae_ops.accounts.urls")),
    # The orchestrator's probes; ProbeMiddleware answers them first, these
    # routes let `manage.py health_check <name> --no-http` find their checks.
    path("health/live/", login_not_required(health.LiveView.as_view()), name="health-live"),
    path("health/ready/", login_not_required(health.ReadyView.as_view()), name="health-ready"),
    path("health/jobs/", login_not_required(health.JobsView.as_view()), name="health-jobs"),
    # The public survey link (COM-2): the only page without a login. Its
    # token is redacted from the logs (pae_ops.log_redaction).
    path("s/<str:token>/", survey_views.survey_page, name="survey"),
    path("partners/", include("partners.urls")),
    path("clients/", include("clients.urls")),
    path("cases/", include("cases.urls")),
    path("refunds/", include("refunds.urls")),
    path("kpis/", include("kpis.urls")),
    # The playbook's policies with the values in force (every staff role).
    path("politicas/", include("policies.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "pae_ops.views.error_400"
handler403 = "pae_ops.views.error_403"
handler404 = "pae_ops.views.error_404"
handler500 = "pae_ops.views.error_500"
