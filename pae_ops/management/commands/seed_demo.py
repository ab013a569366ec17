"""Load the demo data set (idempotent: a second run adds nothing)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from pae_ops.roles import Role

User = get_user_model()


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: Role
    leader: str | None = None
    language: str = "es"


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "Alicia", "Admin", Role.ADMIN),
    DemoUser("directora", "Diana", "Ramírez", Role.DIRECTOR),
    DemoUser("lider", "Laura", "Méndez", Role.LEADER),
    DemoUser("agente", "Carlos", "Ruiz", Role.AGENT, leader="lider"),
    DemoUser("agente2", "Ana", "Torres", Role.AGENT, leader="lider", language="en"),
    DemoUser("socio", "Pablo", "Socio", Role.PARTNER_APPROVER),
    DemoUser("socio2", "Sofía", "Vega", Role.PARTNER_APPROVER),
)


class Command(BaseCommand):
    help = "Load the demo data: one user per role (and, as apps grow, their data). Idempotent."

    def handle(self, *args, **options):
        # The factories live with the tests; the demo reuses them.
        from tests.factories import DEMO_PASSWORD, UserFactory

        created = 0
        with transaction.atomic():
            for demo in DEMO_USERS:
                if User.objects.filter(username=demo.username).exists():
                    continue
                UserFactory(
                    username=demo.username,
                    first_name=demo.first_name,
                    last_name=demo.last_name,
                    is_staff=demo.role == Role.ADMIN,
                    roles=[demo.role],
                    profile__leader=(
                        User.objects.get(username=demo.leader) if demo.leader else None
                    ),
                    profile__language=demo.language,
                )
                created += 1
            # Partners at every stage; socio and socio2 approve two active ones' refunds.
            from partners.demo import seed_partners

            seed_partners(self.stdout)
            # Two years of a team's work (the scale generator, small): ~300
            # clients, purchases and plans, cases and interactions, surveys.
            from kpis.demo_history import seed_history

            seed_history(self.stdout)
            # Clients of every segment, both kinds of plan, an overdue installment, credit.
            from clients.demo import seed_clients

            seed_clients(self.stdout)
            # Cases in every state, near and past their deadlines, untyped
            # interactions, escalations; then the SLA sweep records what is due.
            from cases.demo import seed_cases

            seed_cases(self.stdout)
            # Surveys answered and pending, a detractor's follow-up, a silent
            # client, a rescue case mid-protocol, a scheduled change notice.
            from cases.demo_followup import seed_follow_up

            seed_follow_up(self.stdout)
            # Refund requests in every state, a frequent-refund client, one awaiting socio.
            from refunds.demo import seed_refunds

            seed_refunds(self.stdout)
            # Segments from what the history says, then the KPI roll-up, so
            # that the first dashboard reads summaries, not every row.
            from clients.services import recompute_all_segments

            recompute_all_segments()
        from kpis.services import refresh_kpi_rollups

        refresh_kpi_rollups()
        self.stdout.write(self.style.SUCCESS(f"Demo data: {created} users created."))
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for demo in DEMO_USERS:
            self.stdout.write(f"  {demo.username:<10} {demo.role.value}")
