"""Acts on partners: the onboarding stage moves, pause/reject, approver logins,
and the PAR-3/PAR-4 checks that the clients app calls before a sale or a service start.

Every act is one transaction, admins only (ROLE-1), and raises
``DomainError`` (with ``rule`` and, where useful, ``details``) when a rule
refuses it; nothing is changed then.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pae_ops.accounts.services import send_invitation
from pae_ops.errors import DomainError
from pae_ops.models import Profile
from pae_ops.roles import Role, require_role
from pae_ops.services import notify
from partners.models import (
    STATUS_TRANSITIONS,
    Partner,
    PartnerContact,
    PartnerStageChange,
    PartnerStatus,
    Stage,
)
from partners.selectors import stage_gaps

User = get_user_model()


@transaction.atomic
def advance_partner_stage(
    *, actor: AbstractBaseUser, partner_id: int, expected_stage: str | None = None
) -> Partner:
    """Move the partner to the next stage, if its current stage is complete.

    ``expected_stage`` is the stage the admin saw: when the partner has moved
    since (another admin, a double click), nothing happens twice.
    Rules: PAR-1, PAR-2, ROLE-1. Raises DomainError whose ``details`` list
    every missing item, or PermissionDenied.
    """
    require_role(actor, Role.ADMIN)
    # Lock the partner: two admins advancing at once would both read the same
    # stage and move it (and write its history) twice.
    partner = Partner.objects.select_for_update().get(pk=partner_id)
    current = Stage(partner.stage)
    if expected_stage is not None and current != expected_stage:
        raise DomainError(
            _("The partner is already in the stage “%(stage)s”; reload the page.")
            % {"stage": current.label},
            rule="PAR-2",
        )
    if partner.status != PartnerStatus.OPEN:
        raise DomainError(
            _("A %(status)s partner cannot advance.")
            % {"status": PartnerStatus(partner.status).label.lower()},
            rule="PAR-2",
        )
    following = partner.next_stage
    if following is None:
        raise DomainError(_("The partner is already in the directory."), rule="PAR-2")
    gaps = stage_gaps(partner)
    if gaps:
        raise DomainError(
            _("The stage “%(stage)s” is not complete yet.") % {"stage": current.label},
            rule="PAR-1" if any(gap.rule == "PAR-1" for gap in gaps) else "PAR-2",
            details=[gap.text for gap in gaps],
        )

    now = timezone.now()
    PartnerStageChange.objects.create(
        partner=partner, from_stage=current, to_stage=following, changed_by=actor, changed_at=now
    )
    partner.stage = following
    partner.stage_changed_at = now
    partner.save(update_fields=["stage", "stage_changed_at", "updated_at"])
    if following == Stage.DIRECTORY and partner.account_manager_id:
        notify(
            recipients=[partner.account_manager],
            kind="partner-active",
            title=format_lazy(
                gettext_lazy("{partner} joined the partner directory"), partner=partner
            ),
            url=reverse("partners:directory"),
        )
    return partner


def _change_status(
    *, actor: AbstractBaseUser, partner_id: int, to: PartnerStatus, reason: str
) -> Partner:
    require_role(actor, Role.ADMIN)
    reason = reason.strip()
    if to != PartnerStatus.OPEN and not reason:
        raise DomainError(_("Write the reason."))
    # Lock the partner: a pause racing an advance (or a reject) must see the
    # other's result, never overwrite it.
    partner = Partner.objects.select_for_update().get(pk=partner_id)
    current = PartnerStatus(partner.status)
    if to == PartnerStatus.REJECTED and partner.stage == Stage.DIRECTORY:
        raise DomainError(
            _("A partner in the directory cannot be rejected; pause it instead."), rule="PAR-2"
        )
    if to not in STATUS_TRANSITIONS[current]:
        raise DomainError(
            _("A %(current)s partner cannot become %(new)s.")
            % {"current": current.label.lower(), "new": to.label.lower()},
            rule="PAR-2",
        )
    partner.status = to
    partner.status_reason = reason
    partner.status_changed_by = actor
    partner.status_changed_at = timezone.now()
    partner.save(
        update_fields=[
            "status",
            "status_reason",
            "status_changed_by",
            "status_changed_at",
            "updated_at",
        ]
    )
    return partner


@transaction.atomic
def pause_partner(*, actor: AbstractBaseUser, partner_id: int, reason: str) -> Partner:
    """Pause the partner with a reason: it cannot advance, and an active one leaves the
    directory (PAR-3) until it is resumed. Rules: PAR-2, ROLE-1."""
    return _change_status(
        actor=actor, partner_id=partner_id, to=PartnerStatus.PAUSED, reason=reason
    )


@transaction.atomic
def reject_partner(*, actor: AbstractBaseUser, partner_id: int, reason: str) -> Partner:
    """Reject a candidate for good, with a reason. An active partner is paused instead.
    Rules: PAR-2, ROLE-1."""
    return _change_status(
        actor=actor, partner_id=partner_id, to=PartnerStatus.REJECTED, reason=reason
    )


@transaction.atomic
def resume_partner(*, actor: AbstractBaseUser, partner_id: int) -> Partner:
    """Resume a paused partner in the stage it was paused in. Rules: PAR-2, ROLE-1."""
    return _change_status(actor=actor, partner_id=partner_id, to=PartnerStatus.OPEN, reason="")


@transaction.atomic
def create_partner_approver_login(*, actor: AbstractBaseUser, contact_id: int) -> AbstractBaseUser:
    """Give a partner contact who approves refunds a login in the Partner approver group.

    The username is the contact's email (lower case); the password is
    unusable until the contact chooses one through the invitation sent here
    (docs/partners.md, docs/security.md). The login reaches only its
    partner's pending refund approvals (``partners.selectors.partner_for_approver``).
    Rules: ROLE-1, PAR-3. Raises DomainError or PermissionDenied.
    """
    require_role(actor, Role.ADMIN)
    # Lock the contact: two admins acting at once would create two logins for it.
    contact = (
        PartnerContact.objects.select_for_update(of=("self",))
        .select_related("partner")
        .get(pk=contact_id)
    )
    if contact.user_id is not None:
        raise DomainError(_("This contact already has a login."), rule="ROLE-1")
    if not contact.approves_refunds:
        raise DomainError(
            _("Only a contact who approves refunds can get an approver login."), rule="ROLE-1"
        )
    if not contact.partner.is_active:
        raise DomainError(
            _("Only a contact of an active partner (in the directory) can get a login."),
            rule="PAR-3",
        )
    username = contact.email.strip().lower()
    if User.objects.filter(Q(username__iexact=username) | Q(email__iexact=username)).exists():
        raise DomainError(
            _("A user with the email %(email)s already exists.") % {"email": username},
            rule="ROLE-1",
        )
    user = User(username=username, email=username, first_name=contact.name[:150])
    user.set_unusable_password()
    user.save()
    group, _created = Group.objects.get_or_create(name=Role.PARTNER_APPROVER.value)
    user.groups.add(group)
    Profile.objects.create(user=user)
    contact.user = user
    contact.save(update_fields=["user", "updated_at"])
    send_invitation(actor=actor, user_id=user.pk)
    return user


def ensure_partner_can_sell(*, partner: Partner) -> None:
    """Refuse a product or purchase for a partner that is not active. Rules: PAR-3.

    The caller (clients) holds the partner row it read; lock it
    (``select_for_update``) when the sale must not race a pause.
    """
    if not partner.is_active:
        raise DomainError(
            _("%(partner)s is not an active partner: it cannot be given products or purchases.")
            % {"partner": partner},
            rule="PAR-3",
        )


def _language_codes(codes: Iterable[str]) -> set[str]:
    """``{"es"}`` from ``["ES", "es-MX"]``: the primary subtag, lower case."""
    return {code.strip().lower().split("-")[0] for code in codes if code and code.strip()}


def ensure_shared_language(
    *,
    client_languages: Iterable[str],
    partner_languages: Iterable[str],
    bilingual_resource: object | None,
) -> None:
    """Refuse a service start when client and partner share no language and no internal
    bilingual resource is assigned. Rules: PAR-4.

    Languages are ISO 639-1 codes; a client with no recorded language shares
    none, so a resource is needed then too.
    """
    if bilingual_resource is not None:
        return
    client, partner = _language_codes(client_languages), _language_codes(partner_languages)
    if client & partner:
        return
    raise DomainError(
        _(
            "The client and the partner share no language: assign an internal bilingual "
            "resource before the service starts."
        ),
        rule="PAR-4",
        details=[
            _("Client: %(languages)s") % {"languages": ", ".join(sorted(client)) or "—"},
            _("Partner: %(languages)s") % {"languages": ", ".join(sorted(partner)) or "—"},
        ],
    )
