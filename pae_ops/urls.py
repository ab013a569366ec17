from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from pae_ops import views

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
    path("my-work/", views.my_work, name="my-work"),
    path("team/", views.team, name="team"),
    path("direction/", views.direction, name="direction"),
    path("partner/approvals/", views.partner_approvals, name="partner-approvals"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_mark_read, name="notifications-read"),
    path("language/", views.set_language, name="set-language"),
    path("health/", views.health, name="health"),
    path("partners/", include("partners.urls")),
    path("clients/", include("clients.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "pae_ops.views.error_403"
handler404 = "pae_ops.views.error_404"
handler500 = "pae_ops.views.error_500"
