"""Reads about partners: what a stage still lacks, the directory, approver ownership."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, QuerySet
from django.db.models.fields.files import FieldFile
from django.http import Http404
from django.utils.translation import gettext as _

from pae_ops.roles import Role, has_role
from partners.models import (
    STAGE_TASKS,
    Agreement,
    Partner,
    PartnerContact,
    PartnerStatus,
    ScorecardEntry,
    Stage,
    VettingCriterion,
)


@dataclass(frozen=True)
class StageGap:
    """One thing that keeps a partner in its stage, in words, with the rule that asks for it."""

    rule: str
    text: str


def stage_gaps(partner: Partner) -> list[StageGap]:
    """What the partner's current stage still lacks (PAR-1, PAR-2); empty when complete.

    identified: an account manager, at least one language and one service
    (the directory and PAR-4 need them; RULES.md is silent, see
    docs/partners.md). vetting: an interview and all seven PAR-1 criteria
    reviewed and passed. legal: the three agreements, each with a signed date
    and a document. operational and training: their checklist tasks done.
    directory: nothing (it is the last stage).
    """
    stage = Stage(partner.stage)
    if stage == Stage.IDENTIFIED:
        return _identified_gaps(partner)
    if stage == Stage.VETTING:
        return _vetting_gaps(partner)
    if stage == Stage.LEGAL:
        return _legal_gaps(partner)
    if stage in STAGE_TASKS:
        return _checklist_gaps(partner, stage)
    return []


def _identified_gaps(partner: Partner) -> list[StageGap]:
    gaps = []
    if partner.account_manager_id is None:
        gaps.append(StageGap("PAR-2", _("No account manager is assigned.")))
    if not partner.languages.exists():
        gaps.append(StageGap("PAR-2", _("No language spoken is recorded.")))
    if not partner.services.exists():
        gaps.append(StageGap("PAR-2", _("No service offered is recorded.")))
    return gaps


def _vetting_gaps(partner: Partner) -> list[StageGap]:
    gaps = []
    if not partner.interviews.exists():
        gaps.append(StageGap("PAR-2", _("No vetting interview is recorded.")))
    results = dict(partner.scorecard_entries.values_list("criterion", "result"))
    for criterion in VettingCriterion:
        result = results.get(criterion.value)
        if result is None:
            text = _("%(criterion)s: not reviewed.") % {"criterion": criterion.label}
        elif result != ScorecardEntry.Result.PASS:
            text = _("%(criterion)s: failed.") % {"criterion": criterion.label}
        else:
            continue
        gaps.append(StageGap("PAR-1", text))
    return gaps


def _legal_gaps(partner: Partner) -> list[StageGap]:
    gaps = []
    recorded = {agreement.kind: agreement for agreement in partner.agreements.all()}
    for kind in Agreement.Kind:
        agreement = recorded.get(kind.value)
        if agreement is None:
            gaps.append(StageGap("PAR-2", _("%(kind)s: not recorded.") % {"kind": kind.label}))
            continue
        if agreement.signed_on is None:
            gaps.append(StageGap("PAR-2", _("%(kind)s: no signed date.") % {"kind": kind.label}))
        if not agreement.document:
            gaps.append(StageGap("PAR-2", _("%(kind)s: no document.") % {"kind": kind.label}))
    return gaps


def _checklist_gaps(partner: Partner, stage: Stage) -> list[StageGap]:
    done = set(partner.checklist_items.filter(done_on__isnull=False).values_list("task", flat=True))
    return [
        StageGap("PAR-2", _("%(task)s: not done.") % {"task": task.label})
        for task in STAGE_TASKS[stage]
        if task.value not in done
    ]


def list_directory_partners(*, with_documents: bool = False) -> QuerySet[Partner]:
    """Active partners (PAR-3) for the directory, with what each page row
    shows; ``with_documents``: their agreements that have a document (one
    more query), for the roles that may download them."""
    queryset = (
        Partner.objects.filter(stage=Stage.DIRECTORY, status=PartnerStatus.OPEN)
        .select_related("account_manager")
        .prefetch_related("languages", "services")
        .order_by("brand_name", "id")
    )
    if with_documents:
        queryset = queryset.prefetch_related(
            Prefetch(
                "agreements",
                queryset=Agreement.objects.exclude(document="").order_by("kind"),
                to_attr="documents",
            )
        )
    return queryset


def partner_for_approver(user: AbstractBaseUser | None) -> Partner | None:
    """The partner whose refunds ``user`` may approve, or None (ROLE-1 ownership).

    The user must hold the Partner approver role and be the linked login of a
    contact who approves refunds. The refunds pages answer 404 for any object
    of another partner.
    """
    if user is None or not has_role(user, Role.PARTNER_APPROVER):
        return None
    contact = (
        PartnerContact.objects.filter(user=user, approves_refunds=True)
        .select_related("partner")
        .first()
    )
    return contact.partner if contact else None


# kind in the document URL -> (model, file field)
DOCUMENT_FIELDS = {
    "agreement": (Agreement, "document"),
    "evidence": (ScorecardEntry, "evidence_file"),
}


def get_partner_document(*, kind: str, pk: int) -> FieldFile:
    """The stored file of an agreement or a scorecard entry; 404 when there is none."""
    try:
        model, field = DOCUMENT_FIELDS[kind]
    except KeyError:
        raise Http404 from None
    row = model.objects.filter(pk=pk).select_related("partner").first()
    document = getattr(row, field, None)
    if not document or not document.storage.exists(document.name):
        raise Http404
    return document
