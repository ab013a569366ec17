from django.urls import path

from pae_ops.accounts import views

app_name = "accounts"

urlpatterns = [
    path("", views.account, name="account"),
    path("time-zone/", views.time_zone, name="time-zone"),
    path("password/", views.PasswordChangeView.as_view(), name="password-change"),
    path("sessions/end-others/", views.end_other_sessions, name="sessions-end-others"),
    path("two-factor/", views.two_factor_verify, name="two-factor-verify"),
    path("two-factor/setup/", views.two_factor_setup, name="two-factor-setup"),
    path("two-factor/recovery-codes/", views.recovery_codes, name="recovery-codes"),
    path("two-factor/remove/", views.two_factor_remove, name="two-factor-remove"),
    # Pages without a login. Their secrets are redacted from the logs
    # (pae_ops.log_redaction).
    path("reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path("reset/sent/", views.PasswordResetDoneView.as_view(), name="password-reset-done"),
    path("reset/done/", views.PasswordResetCompleteView.as_view(), name="password-reset-complete"),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "invitation/<int:invitation_id>/<str:token>/",
        views.invitation_accept,
        name="invitation-accept",
    ),
]
