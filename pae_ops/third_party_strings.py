"""Strings of django-axes and django-simple-history that ship no Spanish.

The admin shows them (the failed and locked sign-ins, each object's change
history), and neither package has an ``es`` catalogue. Django merges every
catalogue of a language, so listing their message ids here puts them in
ours (``make messages``), translated; the packages' own ``gettext`` calls
then find them. Nothing imports this module. See docs/i18n.md.
"""

from django.utils.translation import gettext_noop as _

THIRD_PARTY_STRINGS = (
    # django-axes: models, admin and messages.
    _("Access Attempt"),
    _("Access lock out"),
    _("Account locked: too many login attempts. Contact an admin to unlock your account."),
    _("Account locked: too many login attempts. Please try again later."),
    _("Attempt Remaining"),
    _("Attempt Time"),
    _("Clean up expired attempts"),
    _("Expires At"),
    _("Failed Logins"),
    _("Form Data"),
    _("GET Data"),
    _("HTTP Accept"),
    _("IP Address"),
    _("Locked Out"),
    _("Logout Time"),
    _("Meta Data"),
    _("Not set"),
    _("POST Data"),
    _("Path"),
    _("Session key hash (sha256)"),
    _("The time when access attempt expires and is no longer valid."),
    _("User Agent"),
    _("Username"),
    _("access attempt"),
    _("access attempt expiration"),
    _("access attempt expirations"),
    _("access attempts"),
    _("access failure"),
    _("access failures"),
    _("access log"),
    _("access logs"),
    # django-simple-history: the admin's history pages.
    _("Change History"),
    _("Change history: %s"),
    _("Change reason"),
    _("Changed by"),
    _("Changes"),
    _("Comment"),
    _("Date/time"),
    _("Deleted %(type_name)s"),
    _("Object"),
    _("Revert"),
    _("Revert %s"),
    _('The %(name)s "%(obj)s" was changed successfully.'),
    _("This object doesn't have a change history."),
    _("View %s"),
    _("View history: %s"),
    _("You may edit it again below"),
    _("Press the 'Revert' button below to revert to this version of the object."),
    _("Press the 'Change History' button below to edit the history."),
    _("Choose a date from the list below to revert to a previous version of this object."),
    _("Revert %(verbose_name)s"),
    _("View %(verbose_name)s"),
)
