"""Account acts (one module per concern; the public names are re-exported)."""

from pae_ops.accounts.services.audit import record_event
from pae_ops.accounts.services.invitations import (
    InvitationLinkInvalidError,
    accept_invitation,
    get_valid_invitation,
    send_invitation,
)
from pae_ops.accounts.services.passwords import (
    password_was_changed,
    password_was_reset,
    request_password_reset,
)
from pae_ops.accounts.services.profile import set_user_time_zone
from pae_ops.accounts.services.sessions import (
    deactivate_user,
    end_other_sessions,
    end_sessions,
    forget_session,
    record_session,
    rekey_session,
    touch_session,
    user_deactivated,
)
from pae_ops.accounts.services.two_factor import (
    ENROLLED_SESSION_KEY,
    Enrolment,
    SignInLockedError,
    confirm_totp_enrolment,
    has_confirmed_totp,
    remember_enrolment,
    remove_second_factor,
    renew_recovery_codes,
    requires_second_factor,
    reset_second_factor,
    start_totp_enrolment,
    verify_second_factor,
)

__all__ = [
    "ENROLLED_SESSION_KEY",
    "Enrolment",
    "InvitationLinkInvalidError",
    "SignInLockedError",
    "accept_invitation",
    "confirm_totp_enrolment",
    "deactivate_user",
    "end_other_sessions",
    "end_sessions",
    "forget_session",
    "get_valid_invitation",
    "has_confirmed_totp",
    "password_was_changed",
    "password_was_reset",
    "record_event",
    "record_session",
    "rekey_session",
    "remember_enrolment",
    "remove_second_factor",
    "renew_recovery_codes",
    "request_password_reset",
    "requires_second_factor",
    "reset_second_factor",
    "send_invitation",
    "set_user_time_zone",
    "start_totp_enrolment",
    "touch_session",
    "user_deactivated",
    "verify_second_factor",
]
