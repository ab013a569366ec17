"""Partner factories, shared by the tests and by ``manage.py seed_demo`` (partners/demo.py)."""

from __future__ import annotations

import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from partners import services
from partners.models import LANGUAGE_NAMES as _LANGUAGE_NAMES
from partners.models import (
    STAGE_ORDER,
    STAGE_TASKS,
    Agreement,
    ChecklistItem,
    Language,
    Offering,
    Partner,
    PartnerContact,
    ScorecardEntry,
    Stage,
    VettingCriterion,
    VettingInterview,
)
from tests.factories import UserFactory

# The smallest bytes the upload checks accept as a PDF.
PDF_BYTES = b"%PDF-1.4\n% PAE Ops test document\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def languages(*codes: str) -> list[Language]:
    """The Language rows of ``codes``. The data migration seeds them, but a
    transactional test flushes them, so they are made again when missing."""
    return [
        Language.objects.get_or_create(code=code, defaults={"name": str(_LANGUAGE_NAMES[code])})[0]
        for code in codes
    ]


class OfferingFactory(DjangoModelFactory[Offering]):
    class Meta:
        model = Offering
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Servicio estratégico {n}")


class PartnerFactory(DjangoModelFactory[Partner]):
    """A partner just identified, with what that stage needs (PAR-2) unless told otherwise.

    ``PartnerFactory(languages=["en"])`` sets its languages; ``services=[...]`` its offerings.
    """

    class Meta:
        model = Partner
        skip_postgeneration_save = True

    legal_name = factory.Sequence(lambda n: f"Socio Estratégico {n} S.A. de C.V.")
    brand_name = factory.Sequence(lambda n: f"Marca {n}")
    country = "México"
    summary = factory.Faker("sentence", nb_words=12, locale="es_MX")
    account_manager = factory.SubFactory(UserFactory, agent=True)

    @factory.post_generation
    def languages(self, create: bool, extracted, **kwargs) -> None:
        if create:
            self.languages.set(languages(*(extracted if extracted is not None else ["es"])))

    @factory.post_generation
    def services(self, create: bool, extracted, **kwargs) -> None:
        if create:
            self.services.set(extracted if extracted is not None else [OfferingFactory()])


class ActivePartnerFactory(PartnerFactory):
    """A partner in the directory (its onboarding rows are not made: use ``partner_at``)."""

    stage = Stage.DIRECTORY


class VettingInterviewFactory(DjangoModelFactory[VettingInterview]):
    class Meta:
        model = VettingInterview

    partner = factory.SubFactory(PartnerFactory, stage=Stage.VETTING)
    held_on = factory.LazyFunction(timezone.localdate)
    interviewer = factory.SubFactory(UserFactory, admin=True)
    notes = factory.Faker("paragraph", locale="es_MX")


class ScorecardEntryFactory(DjangoModelFactory[ScorecardEntry]):
    class Meta:
        model = ScorecardEntry

    partner = factory.SubFactory(PartnerFactory, stage=Stage.VETTING)
    criterion = VettingCriterion.ALIGNMENT
    evidence = factory.Faker("sentence", locale="es_MX")
    result = ScorecardEntry.Result.PASS
    reviewer = factory.SubFactory(UserFactory, admin=True)
    reviewed_on = factory.LazyFunction(timezone.localdate)


class AgreementFactory(DjangoModelFactory[Agreement]):
    """A signed agreement with its PDF (stored under MEDIA_ROOT)."""

    class Meta:
        model = Agreement

    partner = factory.SubFactory(PartnerFactory, stage=Stage.LEGAL)
    kind = Agreement.Kind.NDA
    signed_on = factory.LazyFunction(timezone.localdate)
    document = factory.django.FileField(filename="agreement.pdf", data=PDF_BYTES)
    recorded_by = factory.SubFactory(UserFactory, admin=True)


class ChecklistItemFactory(DjangoModelFactory[ChecklistItem]):
    class Meta:
        model = ChecklistItem

    partner = factory.SubFactory(PartnerFactory, stage=Stage.OPERATIONAL)
    task = STAGE_TASKS[Stage.OPERATIONAL][0]
    done_on = factory.LazyFunction(timezone.localdate)
    done_by = factory.SubFactory(UserFactory, admin=True)


class PartnerContactFactory(DjangoModelFactory[PartnerContact]):
    class Meta:
        model = PartnerContact

    partner = factory.SubFactory(ActivePartnerFactory)
    name = factory.Faker("name", locale="es_MX")
    email = factory.Sequence(lambda n: f"contacto{n}@socio.test")
    approves_refunds = True


class PartnerApproverFactory(UserFactory):
    """A partner approver login linked to a contact of ``partner`` (an active one by default).

    ``PartnerApproverFactory(partner=purchase.partner)`` returns the user.
    """

    partner_approver = True

    class Params:
        partner = factory.SubFactory(ActivePartnerFactory)

    contact = factory.RelatedFactory(
        PartnerContactFactory,
        factory_related_name="user",
        partner=factory.SelfAttribute("..partner"),
        email=factory.SelfAttribute("..email"),
    )


def complete_stage(partner: Partner, *, by, on: datetime.date | None = None) -> None:
    """Record what the partner's current stage needs to be left (PAR-1, PAR-2)."""
    on = on or timezone.localdate()
    stage = Stage(partner.stage)
    if stage == Stage.VETTING:
        VettingInterviewFactory(partner=partner, interviewer=by, held_on=on)
        for criterion in VettingCriterion:
            ScorecardEntryFactory(partner=partner, criterion=criterion, reviewer=by, reviewed_on=on)
    elif stage == Stage.LEGAL:
        for kind in Agreement.Kind:
            AgreementFactory(
                partner=partner,
                kind=kind,
                signed_on=on,
                recorded_by=by,
                document__filename=f"{kind.value}.pdf",
            )
    elif stage in STAGE_TASKS:
        for task in STAGE_TASKS[stage]:
            ChecklistItemFactory(partner=partner, task=task, done_by=by, done_on=on)


def partner_at(stage: Stage, *, actor, **kwargs) -> Partner:
    """A partner walked to ``stage`` through the real service, each stage completed on the way."""
    partner = PartnerFactory(**kwargs)
    for _step in STAGE_ORDER[: STAGE_ORDER.index(stage)]:
        complete_stage(partner, by=actor)
        partner = services.advance_partner_stage(actor=actor, partner_id=partner.pk)
    return partner
